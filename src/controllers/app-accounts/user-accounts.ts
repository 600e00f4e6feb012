import { isDeepStrictEqual } from 'node:util';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { API_GROUP, API_VERSION } from '../../api/crd-builder.ts';
import type { DownstreamApp, DownstreamAppSpec } from '../../api/downstream-app.ts';
import { type ScimUser, scimUserKind } from '../../api/scim-user.ts';
import type { DownstreamError } from '../../downstream/errors.ts';
import { makeApiClient } from '../../runtime/api-client.ts';
import { isNotFound } from '../../runtime/kube-errors.ts';
import type { ReconcileContext, ReconcileResult } from '../../runtime/reconciler.ts';
import { mayHold } from '../selection/selection.ts';
import { FIELD_MANAGER } from '../shared/status-writer.ts';
import {
  type AppEntry,
  deprovisionAccount,
  ensureAccount,
  metaTime,
  type SyncResult,
  sinceOf,
} from './account-sync.ts';
import { type AccountsContext, safeSpec } from './accounts-context.ts';
import { accountAttributes, assignedApps } from './desired-accounts.ts';
import { DownstreamFinalizer } from './downstream-finalizer.ts';
import { appKey } from './keys.ts';
import { asDownstreamError, syncOutcome } from './sync-outcome.ts';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

interface Plan {
  name: string;
  app: DownstreamApp;
  spec: DownstreamAppSpec;
  want: boolean;
  forget: boolean;
}

/**
 * The accounts of one ScimUser in every app it is or was assigned to. Assigned and allowed to hold access (selection
 * `mayHold`): the account exists and matches; otherwise it is deprovisioned. Apps a suspended mapping freezes, and
 * suspended apps, are left as they are. Deleting the user (or the app) ends its accounts whatever the mappings say,
 * so the finalizer can go.
 */
export class UserAccountsReconciler {
  private readonly context: AccountsContext;
  private readonly api: CustomObjectsApi;

  constructor(context: AccountsContext) {
    this.context = context;
    this.api = makeApiClient(context.deps.kc, CustomObjectsApi);
  }

  async reconcile(id: string, context: ReconcileContext): Promise<ReconcileResult> {
    const { deps, ledger, finalizer } = this.context;
    const user = deps.users.get(id);
    if (!user) {
      ledger.forget(id);
      return;
    }
    const now = deps.clock.date();
    const deleting = Boolean(user.metadata.deletionTimestamp);
    const entries = ledger.entriesOf(user);
    const byApp = new Map(entries.map((e) => [e.app, e]));
    const { assigned, frozen } = deleting
      ? { assigned: new Map<string, Record<string, string>>(), frozen: new Set<string>() }
      : assignedApps(user, deps.mappings.list(), deps.identities.groupsOfUser(id), now);

    const plans: Plan[] = [];
    const next = new Map(byApp);
    for (const name of [...new Set([...assigned.keys(), ...byApp.keys()])].sort()) {
      const app = deps.apps.get(name);
      if (!app) {
        // An entry for an app that no longer exists: nothing is left to deprovision through.
        if (!assigned.has(name)) next.delete(name);
        continue;
      }
      if (!deps.serves(app) || frozen.has(name)) continue;
      const spec = safeSpec(app);
      if (!spec || spec.suspend) continue;
      const appGoing = Boolean(app.metadata.deletionTimestamp);
      const want = assigned.has(name) && !appGoing && mayHold(user);
      if (!want && !byApp.has(name)) continue;
      plans.push({ name, app, spec, want, forget: deleting || appGoing });
    }

    const hasFinalizer = DownstreamFinalizer.held(user);
    if (!deleting && !hasFinalizer && plans.some((p) => p.want)) await finalizer.add(scimUserKind.plural, user);

    const failures: DownstreamError[] = [];
    for (const plan of plans) {
      const entry = byApp.get(plan.name);
      try {
        const result = await this.sync(user, plan, entry, assigned.get(plan.name) ?? {}, now, context);
        if (result.entry) next.set(plan.name, result.entry);
        else next.delete(plan.name);
        this.audit(user, plan.name, result, context);
      } catch (err) {
        const failure = asDownstreamError(err);
        failures.push(failure);
        next.set(plan.name, failedEntry(plan.name, entry, failure, now));
        if (entry?.state !== 'Failed') {
          context.logger.warn(
            { app: plan.name, user: user.spec.userName, error: failure.summary() },
            'account sync failed',
          );
          this.event(user, 'Warning', 'AccountSyncFailed', `app ${plan.name}: ${failure.summary()}`);
        }
      }
    }

    const nextEntries = [...next.values()].sort((a, b) => a.app.localeCompare(b.app));
    if (!isDeepStrictEqual(nextEntries, entries)) {
      await this.writeEntries(user, nextEntries);
      const changed = new Set([...entries, ...nextEntries].map((e) => e.app));
      for (const app of changed) if (!isDeepStrictEqual(byApp.get(app), next.get(app))) deps.enqueue(appKey(app));
    }
    if (deleting && hasFinalizer && nextEntries.length === 0) await finalizer.remove(scimUserKind.plural, user);
    return syncOutcome(user.spec.userName, failures);
  }

  private sync(
    user: ScimUser,
    plan: Plan,
    entry: AppEntry | undefined,
    assignment: Record<string, string>,
    now: Date,
    context: ReconcileContext,
  ): Promise<SyncResult> {
    const attributes = accountAttributes(user, plan.spec, assignment, plan.want);
    const ctx = {
      app: plan.name,
      spec: plan.spec,
      client: this.context.deps.clients.client(plan.app),
      now,
      signal: context.signal,
      claim: (remoteId: string) => this.context.ledger.claim(plan.name, remoteId, user),
    };
    return plan.want ? ensureAccount(ctx, attributes, entry) : deprovisionAccount(ctx, attributes, entry, plan.forget);
  }

  private async writeEntries(user: ScimUser, apps: AppEntry[]): Promise<void> {
    const name = user.metadata.name;
    this.context.deps.onWrite('status', `scimusers/${name}`);
    try {
      const updated = (await this.api.patchClusterCustomObjectStatus(
        {
          group: API_GROUP,
          version: API_VERSION,
          plural: scimUserKind.plural,
          name,
          body: { status: { apps: apps.length ? apps : null } },
          fieldManager: FIELD_MANAGER,
        },
        mergePatch,
      )) as ScimUser;
      this.context.ledger.recordWrite(name, updated.metadata.resourceVersion, apps);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private audit(user: ScimUser, app: string, result: SyncResult, context: ReconcileContext): void {
    if (result.action === 'none') return;
    const dryRun = result.entry?.plan !== undefined;
    const reason = dryRun ? 'AccountPlanned' : `Account${result.action[0]!.toUpperCase()}${result.action.slice(1)}`;
    const message = dryRun
      ? `app ${app} (dry run): ${result.entry?.plan}`
      : `account in app ${app} ${result.action}${result.detail ? ` (${result.detail})` : ''}`;
    context.logger.info({ audit: true, app, user: user.spec.userName, action: result.action, dryRun }, message);
    this.event(user, 'Normal', reason, message);
  }

  private event(user: ScimUser, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.context.deps.events.record(
      { apiVersion: user.apiVersion, kind: user.kind, name: user.metadata.name, uid: user.metadata.uid },
      type,
      reason,
      message,
    );
  }
}

function failedEntry(app: string, entry: AppEntry | undefined, err: DownstreamError, now: Date): AppEntry {
  const failed: AppEntry = { app, state: 'Failed', lastError: err.summary() };
  if (entry?.remoteId) failed.remoteId = entry.remoteId;
  if (entry?.lastSyncTime) failed.lastSyncTime = entry.lastSyncTime;
  failed.since = sinceOf(entry, 'Failed', failed.remoteId, metaTime(now));
  return failed;
}
