import { isDeepStrictEqual } from 'node:util';
import {
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesObject,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import type { AccessMapping } from '../../api/access-mapping.ts';
import { API_GROUP, API_VERSION, type Condition } from '../../api/crd-builder.ts';
import {
  appSpec,
  DOWNSTREAM_FINALIZER,
  type DownstreamApp,
  type DownstreamAppSpec,
  type DownstreamAppStatus,
  downstreamAppKind,
  type SecretKeyRef,
} from '../../api/downstream-app.ts';
import type { ScimGroup } from '../../api/scim-group.ts';
import { type ScimUser, scimUserKind } from '../../api/scim-user.ts';
import type { SecretReader } from '../../downstream/credentials.ts';
import type { DestinationFence } from '../../downstream/destination-fence.ts';
import { DownstreamError } from '../../downstream/errors.ts';
import { setCondition } from '../../runtime/conditions.ts';
import type { CachedInformer } from '../../runtime/informer.ts';
import { type ReconcileContext, type ReconcileResult, requeueAfter, TerminalError } from '../../runtime/reconciler.ts';
import type { EventRecorder } from '../event-recorder.ts';
import type { IdentityCache } from '../identity-cache.ts';
import type { StatusWriter } from '../status-writer.ts';
import { type AppEntry, deprovisionAccount, ensureAccount, type SyncResult } from './account-sync.ts';
import { type AppClients, secretRefs } from './app-clients.ts';
import { appConditions } from './app-conditions.ts';
import { accountAttributes, assignedApps, mayHaveAccounts } from './desired-accounts.ts';
import { pushGroups, type WantedGroup } from './group-push.ts';

export const appKey = (name: string) => `App/${name}`;
export const accountsKey = (userId: string) => `User/${userId}`;

const jsonPatch = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const UNHEALTHY_REQUEUE_MS = 15_000;

export interface AppAccountsDeps {
  kc: KubeConfig;
  users: CachedInformer<KubernetesObject>;
  apps: CachedInformer<KubernetesObject>;
  /** The AccessMappings this installation applies, each naming its connection (connection-scope.ts). */
  mappings: { list(): KubernetesObject[] };
  identities: IdentityCache;
  clients: AppClients;
  readSecret: SecretReader;
  /** Whether the Secret's scim-operator.dev/allowed-apps annotation grants this key to this app. */
  credentialAllowed(ref: SecretKeyRef, app: string): boolean;
  fence: DestinationFence;
  events: EventRecorder;
  status: StatusWriter;
  /** Whether this installation manages the app (its connection is one of ours, or it names none). */
  serves(app: DownstreamApp): boolean;
  enqueue(key: string): void;
  clock?: () => Date;
  onWrite?: (verb: string, target: string) => void;
}

/**
 * Keeps downstream accounts equal to the assignments. Keys are `User/<id>` (the accounts of one user in every app
 * it is or was assigned to, and the user's finalizer) and `App/<name>` (the app's status, group push and finalizer).
 * A user's accounts live in `ScimUser.status.apps`, written as a merge patch of that field only, so the identity
 * status controller's fields are never touched.
 */
export class AppAccountsReconciler {
  private readonly deps: AppAccountsDeps;
  private readonly api: CustomObjectsApi;
  private readonly clock: () => Date;
  /** status.apps as last written, until the informer has caught up: a stale read would cost a lookup. */
  private readonly written = new Map<string, { resourceVersion: bigint; apps: AppEntry[] }>();
  private readonly probed = new Map<string, string>();
  /** `app\0remoteId` -> user id, for accounts found or created but not yet in a status the cache has seen. */
  private readonly claims = new Map<string, string>();

  constructor(deps: AppAccountsDeps) {
    this.deps = deps;
    this.api = deps.kc.makeApiClient(CustomObjectsApi);
    this.clock = deps.clock ?? (() => new Date());
  }

  reconcile = async (key: string, context: ReconcileContext): Promise<ReconcileResult> => {
    const [kind, name] = key.split('/', 2) as [string, string];
    return kind === 'App' ? this.app(name, context) : this.user(name, context);
  };

  entriesOf(user: ScimUser): AppEntry[] {
    const written = this.written.get(user.metadata.name);
    if (written && BigInt(user.metadata.resourceVersion ?? '0') < written.resourceVersion) return written.apps;
    this.written.delete(user.metadata.name);
    return user.status?.apps ?? [];
  }

  private users(): ScimUser[] {
    return this.deps.users.list() as unknown as ScimUser[];
  }

  private app_(name: string): DownstreamApp | undefined {
    return this.deps.apps.get(name) as unknown as DownstreamApp | undefined;
  }

  private async user(id: string, context: ReconcileContext): Promise<ReconcileResult> {
    const user = this.deps.users.get(id) as unknown as ScimUser | undefined;
    if (!user) {
      this.written.delete(id);
      return;
    }
    const now = this.clock();
    const deleting = Boolean(user.metadata.deletionTimestamp);
    const entries = this.entriesOf(user);
    const byApp = new Map(entries.map((e) => [e.app, e]));
    const groups = this.deps.identities
      .groupsOf(id)
      .map((g) => this.deps.identities.group(g))
      .filter((g): g is ScimGroup => g !== undefined);
    const mappings = this.deps.mappings.list() as unknown as AccessMapping[];
    const assigned = deleting ? new Map<string, Record<string, string>>() : assignedApps(user, mappings, groups, now);

    const plans: { name: string; app: DownstreamApp; spec: DownstreamAppSpec; want: boolean; forget: boolean }[] = [];
    const next = new Map(byApp);
    for (const name of [...new Set([...assigned.keys(), ...byApp.keys()])].sort()) {
      const app = this.app_(name);
      if (!app) {
        // An entry for an app that no longer exists: nothing is left to deprovision through.
        if (!assigned.has(name)) next.delete(name);
        continue;
      }
      if (!this.deps.serves(app)) continue;
      const spec = safeSpec(app);
      if (!spec || spec.suspend) continue;
      const appGoing = Boolean(app.metadata.deletionTimestamp);
      const want = assigned.has(name) && !appGoing && mayHaveAccounts(user);
      if (!want && !byApp.has(name)) continue;
      plans.push({ name, app, spec, want, forget: deleting || appGoing });
    }

    const hasFinalizer = user.metadata.finalizers?.includes(DOWNSTREAM_FINALIZER) ?? false;
    if (!deleting && !hasFinalizer && plans.some((p) => p.want)) await this.addFinalizer(scimUserKind.plural, user);

    const failures: DownstreamError[] = [];
    for (const plan of plans) {
      const entry = byApp.get(plan.name);
      const attributes = accountAttributes(user, plan.spec, assigned.get(plan.name) ?? {}, plan.want);
      const ctx = {
        app: plan.name,
        spec: plan.spec,
        client: this.deps.clients.client(plan.app),
        now,
        signal: context.signal,
        claim: (remoteId: string) => this.claim(plan.name, remoteId, user),
      };
      try {
        const result = plan.want
          ? await ensureAccount(ctx, attributes, entry)
          : await deprovisionAccount(ctx, attributes, entry, plan.forget);
        if (result.entry) next.set(plan.name, result.entry);
        else next.delete(plan.name);
        this.audit(user, plan.name, result, context);
      } catch (err) {
        if (!(err instanceof DownstreamError)) throw err;
        failures.push(err);
        const failed: AppEntry = { app: plan.name, state: 'Failed', lastError: err.summary() };
        if (entry?.remoteId) failed.remoteId = entry.remoteId;
        if (entry?.lastSyncTime) failed.lastSyncTime = entry.lastSyncTime;
        next.set(plan.name, failed);
        if (entry?.state !== 'Failed') {
          context.logger.warn(
            { app: plan.name, user: user.spec.userName, error: err.summary() },
            'account sync failed',
          );
          this.event(user, 'Warning', 'AccountSyncFailed', `app ${plan.name}: ${err.summary()}`);
        }
      }
    }

    const nextEntries = [...next.values()].sort((a, b) => a.app.localeCompare(b.app));
    if (!isDeepStrictEqual(nextEntries, entries)) {
      await this.writeEntries(user, nextEntries);
      const changed = new Set([...entries, ...nextEntries].map((e) => e.app));
      for (const app of changed) if (!isDeepStrictEqual(byApp.get(app), next.get(app))) this.deps.enqueue(appKey(app));
    }
    if (deleting && hasFinalizer && nextEntries.length === 0) await this.removeFinalizer(scimUserKind.plural, user);

    if (failures.length === 0) return;
    if (failures.every((f) => f.retryAfterMs !== undefined))
      return requeueAfter(Math.max(100, Math.min(...failures.map((f) => f.retryAfterMs ?? 0))));
    throw new Error(`${failures.length} account(s) of ${user.spec.userName} not in sync: ${failures[0]!.summary()}`);
  }

  /**
   * The userName of another ScimUser holding `remoteId` in `app` (in its status, or claimed by a sync still in
   * flight), else claims it for `user`. Synchronous check-and-set: concurrent workers cannot both claim an account.
   */
  private claim(app: string, remoteId: string, user: ScimUser): string | undefined {
    const key = `${app}\u0000${remoteId}`;
    for (const other of this.users()) {
      if (other.metadata.name === user.metadata.name) continue;
      if (this.entriesOf(other).some((e) => e.app === app && e.remoteId === remoteId)) return other.spec.userName;
    }
    const claimant = this.claims.get(key);
    const holder = claimant === undefined ? undefined : (this.deps.users.get(claimant) as unknown as ScimUser);
    if (holder && claimant !== user.metadata.name && !holder.metadata.deletionTimestamp) {
      const pending = this.entriesOf(holder).find((e) => e.app === app);
      if (!pending?.remoteId || pending.remoteId === remoteId) return holder.spec.userName;
    }
    this.claims.set(key, user.metadata.name);
    return undefined;
  }

  private async writeEntries(user: ScimUser, apps: AppEntry[]): Promise<void> {
    const name = user.metadata.name;
    this.deps.onWrite?.('status', `scimusers/${name}`);
    try {
      const updated = (await this.api.patchClusterCustomObjectStatus(
        {
          group: API_GROUP,
          version: API_VERSION,
          plural: scimUserKind.plural,
          name,
          body: { status: { apps: apps.length ? apps : null } },
        },
        mergePatch,
      )) as ScimUser;
      this.written.set(name, { resourceVersion: BigInt(updated.metadata.resourceVersion ?? '0'), apps });
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw err;
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
    this.deps.events.record(
      { apiVersion: user.apiVersion, kind: user.kind, name: user.metadata.name, uid: user.metadata.uid },
      type,
      reason,
      message,
    );
  }

  private usersWithEntry(app: string): { user: ScimUser; entry: AppEntry }[] {
    const out: { user: ScimUser; entry: AppEntry }[] = [];
    for (const user of this.users()) {
      const entry = this.entriesOf(user).find((e) => e.app === app);
      if (entry) out.push({ user, entry });
    }
    return out;
  }

  private async app(name: string, context: ReconcileContext): Promise<ReconcileResult> {
    const app = this.app_(name);
    if (!app) {
      this.deps.clients.forget(name);
      this.probed.delete(name);
      return;
    }
    if (!this.deps.serves(app)) return;
    const generation = app.metadata.generation ?? 0;
    const spec = safeSpec(app);
    if (!spec) {
      await this.writeAppStatus(app, { ...app.status }, [
        { type: 'Ready', status: 'False', reason: 'InvalidSpec', message: 'spec does not parse' },
      ]);
      throw new TerminalError(`DownstreamApp ${name} has an invalid spec`);
    }
    const accounts = this.usersWithEntry(name);
    const hasFinalizer = app.metadata.finalizers?.includes(DOWNSTREAM_FINALIZER) ?? false;
    if (app.metadata.deletionTimestamp) {
      if (!hasFinalizer) return;
      if (accounts.length > 0 && !spec.suspend) {
        for (const { user } of accounts) this.deps.enqueue(accountsKey(user.metadata.name));
        return;
      }
      if (accounts.length === 0) {
        if (spec.groups?.push && !spec.dryRun)
          await pushGroups(this.deps.clients.client(app), [], app.status?.groups ?? []);
        await this.removeFinalizer(downstreamAppKind.plural, app);
        this.deps.clients.forget(name);
        this.probed.delete(name);
        return;
      }
    } else if (!hasFinalizer) await this.addFinalizer(downstreamAppKind.plural, app);

    const client = this.deps.clients.client(app);
    const missing = secretRefs(spec.auth).filter((ref) => this.deps.readSecret(ref) === undefined);
    const notAllowed = secretRefs(spec.auth).filter((ref) => !this.deps.credentialAllowed(ref, name));
    const refusedDestination = await this.refusedDestination(spec);
    const secretsVersion = secretRefs(spec.auth)
      .map((ref) => this.deps.readSecret(ref) ?? '')
      .join('\u0000');
    const probeKey = `${generation}\u0000${secretsVersion}`;
    let health = this.deps.clients.health(name);
    const unhealthy = health !== undefined && (!health.reachable || health.authenticated === false);
    const blocked = refusedDestination !== undefined || notAllowed.length > 0 || missing.length > 0;
    if (!spec.suspend && !blocked && (this.probed.get(name) !== probeKey || unhealthy)) {
      this.probed.set(name, probeKey);
      await client.probe(context.signal).catch((err) => {
        if (!(err instanceof DownstreamError)) throw err;
      });
      health = this.deps.clients.health(name);
    }

    const status: DownstreamAppStatus = { ...app.status, observedGeneration: generation };
    let pushError: string | undefined;
    if (spec.groups?.push && !spec.suspend && !spec.dryRun && !app.metadata.deletionTimestamp) {
      try {
        status.groups = await pushGroups(
          client,
          this.wantedGroups(name, app),
          app.status?.groups ?? [],
          context.signal,
        );
        if (status.groups.length === 0) delete status.groups;
      } catch (err) {
        if (!(err instanceof DownstreamError)) throw err;
        pushError = `group push: ${err.summary()}`;
      }
    }
    const counts = { provisioned: 0, deprovisioned: 0, pending: 0, failed: 0 };
    for (const { entry } of accounts) {
      if (entry.plan !== undefined) counts.pending++;
      else counts[entry.state.toLowerCase() as keyof typeof counts]++;
    }
    status.accounts = counts;
    const healthError = health && (!health.reachable || health.authenticated === false) ? health.message : undefined;
    const lastError = healthError ?? pushError;
    if (lastError) status.lastError = lastError.slice(0, 1000);
    else delete status.lastError;
    if (refusedDestination) status.lastError = refusedDestination.slice(0, 1000);
    const findings = { health, refusedDestination, missingSecrets: missing, notAllowed, counts, pushError };
    await this.writeAppStatus(app, status, appConditions(spec, findings));
    if (healthError || pushError || blocked) return requeueAfter(UNHEALTHY_REQUEUE_MS);
    return;
  }

  /** Why the app's URLs may not be contacted (destination-fence.ts), or undefined when they may. */
  private async refusedDestination(spec: DownstreamAppSpec): Promise<string | undefined> {
    const insecure = spec.tls?.insecureHttp === true;
    for (const url of [spec.url, spec.auth.oauth2?.tokenUrl]) {
      if (url === undefined) continue;
      try {
        await this.deps.fence.check(new URL(url), insecure);
      } catch (err) {
        if (err instanceof DownstreamError && err.code === 'DestinationRefused') return err.message;
        if (err instanceof TypeError) return `${url} is not a URL`;
        // Unreachable (no DNS answer yet) is the probe's to report.
        if (!(err instanceof DownstreamError)) throw err;
      }
    }
    return undefined;
  }

  /** Groups named by the mappings that assign the app, with the remote ids of their provisioned members. */
  private wantedGroups(appName: string, app: DownstreamApp): WantedGroup[] {
    const { identities } = this.deps;
    const wanted = new Map<string, WantedGroup>();
    const now = this.clock().getTime();
    for (const mapping of this.deps.mappings.list() as unknown as AccessMapping[]) {
      const spec = mapping.spec;
      if (!spec.apps?.some((a) => a.name === appName) || spec.suspend || mapping.metadata.deletionTimestamp) continue;
      if (spec.expiresAt && Date.parse(spec.expiresAt) <= now) continue;
      const connection = spec.connection ?? app.spec.connection;
      for (const ref of spec.subjects.groups ?? []) {
        const groups = ref.displayName
          ? identities.groupsByDisplayName(ref.displayName, connection)
          : identities.groupsByExternalId(ref.externalId ?? '', connection);
        for (const group of groups) {
          const members: string[] = [];
          for (const id of identities.membersOf(group.metadata.name)) {
            const user = identities.user(id);
            const entry = user && this.entriesOf(user).find((e) => e.app === appName);
            if (entry?.state === 'Provisioned' && entry.remoteId && entry.plan === undefined)
              members.push(entry.remoteId);
          }
          wanted.set(group.spec.displayName.toLowerCase(), { displayName: group.spec.displayName, members });
        }
      }
    }
    return [...wanted.values()];
  }

  private async writeAppStatus(
    app: DownstreamApp,
    status: DownstreamAppStatus,
    conditions: Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>[],
  ): Promise<void> {
    const generation = app.metadata.generation ?? 0;
    let list = app.status?.conditions;
    for (const c of conditions) list = setCondition(list, c, generation, this.clock());
    await this.deps.status.write(downstreamAppKind, app.metadata.name, app.status, { ...status, conditions: list });
  }

  private async addFinalizer(plural: string, obj: { metadata: { name: string; finalizers?: string[] } }) {
    const finalizers = obj.metadata.finalizers ?? [];
    const ops =
      finalizers.length === 0
        ? [
            { op: 'test', path: '/metadata/finalizers', value: obj.metadata.finalizers === undefined ? null : [] },
            { op: 'add', path: '/metadata/finalizers', value: [DOWNSTREAM_FINALIZER] },
          ]
        : [
            { op: 'test', path: '/metadata/finalizers', value: finalizers },
            { op: 'add', path: '/metadata/finalizers/-', value: DOWNSTREAM_FINALIZER },
          ];
    await this.patchMetadata(plural, obj.metadata.name, ops);
  }

  private async removeFinalizer(plural: string, obj: { metadata: { name: string; finalizers?: string[] } }) {
    const index = obj.metadata.finalizers?.indexOf(DOWNSTREAM_FINALIZER) ?? -1;
    if (index === -1) return;
    const path = `/metadata/finalizers/${index}`;
    await this.patchMetadata(plural, obj.metadata.name, [
      { op: 'test', path, value: DOWNSTREAM_FINALIZER },
      { op: 'remove', path },
    ]);
  }

  /** Test-guarded JSON patches (as in runtime/finalizer.ts): a concurrent finalizer change fails with 422 and retries. */
  private async patchMetadata(plural: string, name: string, ops: object[]): Promise<void> {
    this.deps.onWrite?.('finalizer', `${plural}/${name}`);
    try {
      await this.api.patchClusterCustomObject(
        { group: API_GROUP, version: API_VERSION, plural, name, body: ops },
        jsonPatch,
      );
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw err;
    }
  }
}

function safeSpec(app: DownstreamApp): DownstreamAppSpec | undefined {
  try {
    return appSpec(app);
  } catch {
    return undefined;
  }
}
