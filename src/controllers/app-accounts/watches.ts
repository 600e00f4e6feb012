import type { DownstreamApp } from '../../api/downstream-app.ts';
import type { ScimUser } from '../../api/scim-user.ts';
import type { AppEntry } from './account-sync.ts';
import { secretRefs } from './app-clients.ts';
import { type AccountsKey, accountsKey, appKey } from './keys.ts';

/**
 * Which downstream accounts an event can affect: the event-to-key half of the accounts controller, pure so it is
 * tested on its own. Spec changes only: the controllers' own status writes must not re-trigger every user.
 */

type Watched = { metadata?: { name?: string; generation?: number; deletionTimestamp?: string | Date } };

/** Remembers each object's generation (and deletion) to tell a spec change from a status write. */
export class SpecChanges {
  private readonly seen = new Map<string, string>();

  changed(o: Watched, event: 'add' | 'update' | 'delete'): boolean {
    const key = o.metadata?.name ?? '';
    const now = `${o.metadata?.generation}/${o.metadata?.deletionTimestamp ?? ''}`;
    const changed = event !== 'update' || this.seen.get(key) !== now;
    if (event === 'delete') this.seen.delete(key);
    else this.seen.set(key, now);
    return changed;
  }
}

export function userAccountKeys(users: readonly ScimUser[]): AccountsKey[] {
  return users.map((u) => accountsKey(u.metadata.name));
}

export function appKeys(apps: readonly DownstreamApp[]): AccountsKey[] {
  return apps.map((a) => appKey(a.metadata.name));
}

/** Apps that push groups: a group's name or members changing changes what they push. */
export function pushingAppKeys(apps: readonly DownstreamApp[]): AccountsKey[] {
  return appKeys(apps.filter((a) => a.spec.groups?.push));
}

/**
 * A credential Secret changed (rotated, granted, created): each app using it re-checks its credentials, and users
 * whose account there is not provisioned retry now rather than after their backoff. The new value is read at the
 * next request, so provisioned accounts need nothing.
 */
export function secretKeys(
  secretName: string,
  apps: readonly DownstreamApp[],
  users: readonly ScimUser[],
  entriesOf: (user: ScimUser) => readonly AppEntry[],
): AccountsKey[] {
  const keys: AccountsKey[] = [];
  for (const app of apps) {
    if (!secretRefs(app.spec.auth ?? {}).some((ref) => ref.name === secretName)) continue;
    keys.push(appKey(app.metadata.name));
    for (const user of users)
      if (entriesOf(user).some((e) => e.app === app.metadata.name && e.state !== 'Provisioned'))
        keys.push(accountsKey(user.metadata.name));
  }
  return keys;
}
