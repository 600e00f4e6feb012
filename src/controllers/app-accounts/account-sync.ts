import type { DownstreamAppSpec } from '../../api/downstream-app.ts';
import type { ScimUserStatus } from '../../api/scim-user.ts';
import { DownstreamError } from '../../downstream/errors.ts';
import type { RemoteResource, ScimClient } from '../../downstream/scim-client.ts';
import {
  type AccountAttributes,
  attributePatch,
  attributesHash,
  matchFilter,
  userDocument,
} from './desired-accounts.ts';

export type AppEntry = NonNullable<ScimUserStatus['apps']>[number];

/** What happened, for Events and the audit log: nothing, or the change made (or planned, in dry-run mode). */
export type SyncAction = 'none' | 'created' | 'adopted' | 'updated' | 'deactivated' | 'deleted';

export interface SyncResult {
  entry: AppEntry | undefined;
  action: SyncAction;
  detail?: string;
}

/** The requests account syncs make (a ScimClient; tests pass a recording fake). */
export type AccountClient = Pick<ScimClient, 'get' | 'findUsers' | 'create' | 'patch' | 'delete'>;

export interface SyncContext {
  app: string;
  spec: DownstreamAppSpec;
  client: AccountClient;
  now: Date;
  signal?: AbortSignal;
  /**
   * The other ScimUser (its userName) that already holds this remote account in this app, if any; otherwise the
   * account is claimed for the current user. An account held by another user is never adopted, patched or ended.
   */
  claim?: (remoteId: string) => string | undefined;
}

/**
 * Makes the account of one user in one app exist and match `attributes`, at the lowest request cost:
 * - unchanged since the last sync (same attributes hash, Provisioned): no request;
 * - known remote id: GET it, PATCH only what differs;
 * - otherwise, or when the known account is gone: look it up by the matching attribute and adopt it (then PATCH),
 *   or create it. A new account thus costs exactly two requests (the filter and the create), and a crash between
 *   the create and the status write is healed by the lookup, never by a second account.
 * A create that loses a race (409 uniqueness) looks the account up again and adopts it. An account found by lookup
 * that another ScimUser already holds (a second connection, or a second user, with the same matching attribute) is
 * a `Conflict`: adopting it would hand one person's account to another, and deprovisioning either would end both.
 */
export async function ensureAccount(
  ctx: SyncContext,
  attributes: AccountAttributes,
  entry: AppEntry | undefined,
): Promise<SyncResult> {
  const hash = attributesHash(attributes);
  if (entry?.state === 'Provisioned' && entry.remoteId && entry.attributesHash === hash && !ctx.spec.dryRun) {
    // Dry run was turned off: the account is as planned, so the plan goes (else it counts as pending and stays
    // out of group push until the user's attributes change).
    if (entry.plan === undefined) return { entry, action: 'none' };
    const { plan: _plan, ...applied } = entry;
    return { entry: applied, action: 'none' };
  }
  let remote = entry?.remoteId ? await ctx.client.get('Users', entry.remoteId, ctx.signal) : undefined;
  let action: SyncAction = 'updated';
  if (!remote) {
    remote = await lookup(ctx, attributes);
    if (remote) ensureUnclaimed(ctx, remote.id);
    action = 'adopted';
  }
  if (!remote) {
    if (ctx.spec.dryRun) return planned(ctx, entry, 'created', 'would create the account');
    try {
      remote = await ctx.client.create('Users', userDocument(attributes), ctx.signal);
      ensureUnclaimed(ctx, remote.id);
      return { entry: provisioned(ctx, remote.id, hash, entry), action: 'created' };
    } catch (err) {
      if (!(err instanceof DownstreamError && err.code === 'Conflict') || remote) throw err;
      remote = await lookup(ctx, attributes);
      if (!remote) throw err;
      ensureUnclaimed(ctx, remote.id);
    }
  }
  const ops = attributePatch(attributes, remote);
  if (ctx.spec.dryRun) {
    const what = ops.length ? `would set ${ops.map((o) => o.path).join(', ')}` : 'matches';
    return planned(
      ctx,
      entry,
      action === 'adopted' ? 'adopted' : ops.length ? 'updated' : 'none',
      `${what} (${remote.id})`,
    );
  }
  if (ops.length) await ctx.client.patch('Users', remote.id, ops, ctx.signal);
  const result = provisioned(ctx, remote.id, hash, entry);
  if (action === 'updated' && ops.length === 0 && entry?.remoteId === remote.id && entry.state === 'Provisioned')
    return { entry: result, action: 'none' };
  return { entry: result, action, detail: ops.map((o) => o.path).join(', ') };
}

/**
 * Ends an account by the app's deprovision action. `forget` (the user or the app is going away) drops the entry
 * afterwards; otherwise a deactivated account stays listed as Deprovisioned and a deleted one is dropped.
 * An account never recorded is looked up first, so a create whose status write was lost is deprovisioned too.
 */
export async function deprovisionAccount(
  ctx: SyncContext,
  attributes: AccountAttributes | undefined,
  entry: AppEntry | undefined,
  forget: boolean,
): Promise<SyncResult> {
  const done = entry?.state === 'Deprovisioned' && ctx.spec.deprovision === 'Deactivate';
  if (done && !forget) return { entry, action: 'none' };
  let remoteId = entry?.remoteId;
  if (!remoteId && attributes) {
    remoteId = (await lookup(ctx, attributes))?.id;
    // Found by lookup but held by another user: it is that user's account, not ours to end.
    if (remoteId && ctx.claim?.(remoteId) !== undefined) remoteId = undefined;
  }
  if (!remoteId || done) return { entry: forget || !remoteId ? undefined : entry, action: 'none' };
  if (ctx.spec.dryRun)
    return planned(ctx, entry, ctx.spec.deprovision === 'Delete' ? 'deleted' : 'deactivated', remoteId);
  if (ctx.spec.deprovision === 'Delete') {
    await ctx.client.delete('Users', remoteId, ctx.signal);
    return { entry: undefined, action: 'deleted' };
  }
  try {
    await ctx.client.patch('Users', remoteId, [{ op: 'replace', path: 'active', value: false }], ctx.signal);
  } catch (err) {
    // Already gone is as deprovisioned as it gets.
    if (!(err instanceof DownstreamError && err.code === 'NotFound')) throw err;
  }
  const now = metaTime(ctx.now);
  const next: AppEntry = {
    app: ctx.app,
    state: 'Deprovisioned',
    remoteId,
    lastSyncTime: now,
    since: sinceOf(entry, 'Deprovisioned', remoteId, now),
  };
  return { entry: forget ? undefined : next, action: 'deactivated' };
}

function ensureUnclaimed(ctx: SyncContext, remoteId: string): void {
  const holder = ctx.claim?.(remoteId);
  if (holder !== undefined)
    throw new DownstreamError(
      'Conflict',
      `account ${remoteId} matched by ${ctx.spec.matchAttribute} belongs to ScimUser ${holder}; not adopted`,
    );
}

async function lookup(ctx: SyncContext, attributes: AccountAttributes): Promise<RemoteResource | undefined> {
  const filter = matchFilter(ctx.spec.matchAttribute, attributes);
  if (!filter)
    throw new DownstreamError('BadRequest', `the user has no ${ctx.spec.matchAttribute} to match an account by`);
  const found = await ctx.client.findUsers(filter.attribute, filter.value, ctx.signal);
  if (found.length > 1)
    throw new DownstreamError('Conflict', `${found.length} accounts match ${filter.attribute} "${filter.value}"`);
  return found[0];
}

function provisioned(ctx: SyncContext, remoteId: string, hash: string, entry: AppEntry | undefined): AppEntry {
  const now = metaTime(ctx.now);
  return {
    app: ctx.app,
    state: 'Provisioned',
    remoteId,
    lastSyncTime: now,
    since: sinceOf(entry, 'Provisioned', remoteId, now),
    attributesHash: hash,
  };
}

/** An entry keeps its `since` while it stays in the same state for the same account, so a resync writes nothing. */
export function sinceOf(
  entry: AppEntry | undefined,
  state: AppEntry['state'],
  remoteId: string | undefined,
  now: string,
) {
  return entry?.state === state && entry.remoteId === remoteId && entry.since ? entry.since : now;
}

function planned(ctx: SyncContext, entry: AppEntry | undefined, action: SyncAction, plan: string): SyncResult {
  const base: AppEntry = entry ? { ...entry } : { app: ctx.app, state: 'Pending' };
  delete base.lastError;
  return { entry: { ...base, state: entry?.state ?? 'Pending', plan }, action };
}

export function metaTime(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z');
}
