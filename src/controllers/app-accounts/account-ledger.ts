import type { ScimUser } from '../../api/scim-user.ts';
import type { CachedInformer } from '../../runtime/informer.ts';
import type { AppEntry } from './account-sync.ts';

/**
 * Who holds which downstream account, as recorded in `ScimUser.status.apps` — read from the cache, overlaid with
 * what this replica wrote and the cache has not caught up with yet, and with claims of syncs still in flight.
 */
export class AccountLedger {
  private readonly users: CachedInformer<ScimUser>;
  /** status.apps as last written, until the informer has caught up: a stale read would cost a lookup. */
  private readonly written = new Map<string, { resourceVersion: bigint; apps: AppEntry[] }>();
  /** `app\0remoteId` -> user id, for accounts found or created but not yet in a status the cache has seen. */
  private readonly claims = new Map<string, string>();

  constructor(users: CachedInformer<ScimUser>) {
    this.users = users;
  }

  entriesOf(user: ScimUser): AppEntry[] {
    const written = this.written.get(user.metadata.name);
    if (written && BigInt(user.metadata.resourceVersion ?? '0') < written.resourceVersion) return written.apps;
    this.written.delete(user.metadata.name);
    return user.status?.apps ?? [];
  }

  recordWrite(userId: string, resourceVersion: string | undefined, apps: AppEntry[]): void {
    this.written.set(userId, { resourceVersion: BigInt(resourceVersion ?? '0'), apps });
  }

  forget(userId: string): void {
    this.written.delete(userId);
  }

  usersWithEntry(app: string): { user: ScimUser; entry: AppEntry }[] {
    const out: { user: ScimUser; entry: AppEntry }[] = [];
    for (const user of this.users.list()) {
      const entry = this.entriesOf(user).find((e) => e.app === app);
      if (entry) out.push({ user, entry });
    }
    return out;
  }

  /**
   * The userName of another ScimUser holding `remoteId` in `app` (in its status, or claimed by a sync still in
   * flight), else claims it for `user`. Synchronous check-and-set: concurrent workers cannot both claim an account.
   */
  claim(app: string, remoteId: string, user: ScimUser): string | undefined {
    const key = `${app}\u0000${remoteId}`;
    for (const other of this.users.list()) {
      if (other.metadata.name === user.metadata.name) continue;
      if (this.entriesOf(other).some((e) => e.app === app && e.remoteId === remoteId)) return other.spec.userName;
    }
    const claimant = this.claims.get(key);
    const holder = claimant === undefined ? undefined : this.users.get(claimant);
    if (holder && claimant !== user.metadata.name && !holder.metadata.deletionTimestamp) {
      const pending = this.entriesOf(holder).find((e) => e.app === app);
      if (!pending?.remoteId || pending.remoteId === remoteId) return holder.spec.userName;
    }
    this.claims.set(key, user.metadata.name);
    return undefined;
  }

  /** App -> accounts by state, for the downstream accounts gauge. */
  accountsByState(): Map<string, Record<string, number>> {
    const out = new Map<string, Record<string, number>>();
    for (const user of this.users.list()) {
      for (const entry of this.entriesOf(user)) {
        const counts = out.get(entry.app) ?? { Pending: 0, Provisioned: 0, Deprovisioned: 0, Failed: 0 };
        counts[entry.state] = (counts[entry.state] ?? 0) + 1;
        out.set(entry.app, counts);
      }
    }
    return out;
  }
}
