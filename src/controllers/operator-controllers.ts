import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesObject,
  RbacAuthorizationV1Api,
} from '@kubernetes/client-node';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { AccessMapping } from '../api/access-mapping.ts';
import { API_GROUP, API_VERSION } from '../api/crd-builder.ts';
import type { DownstreamApp } from '../api/downstream-app.ts';
import { labels } from '../api/labels.ts';
import type { ScimGroup } from '../api/scim-group.ts';
import type { ScimUser } from '../api/scim-user.ts';
import { apiServerHosts, DestinationFence } from '../downstream/destination-fence.ts';
import type { ControllerMetrics } from '../observability/controller-metrics.ts';
import { DownstreamMetrics } from '../observability/downstream-metrics.ts';
import type { Metrics } from '../observability/metrics.ts';
import { Controller } from '../runtime/controller.ts';
import { type CachedInformer, createInformer } from '../runtime/informer.ts';
import type { LoggerLike } from '../runtime/reconciler.ts';
import { exponentialRateLimiter } from '../runtime/work-queue.ts';
import type { Settings } from '../settings.ts';
import type { StoreCache } from '../store/store-cache.ts';
import { AppClients } from './app-accounts/app-clients.ts';
import { grantedApps } from './app-accounts/credential-grants.ts';
import { AppAccountsReconciler, accountsKey, appKey } from './app-accounts/reconcile.ts';
import { BindingIndex } from './binding-index.ts';
import { mappingConnection, servedConnections, withExplicitConnection } from './connection-scope.ts';
import { EventRecorder } from './event-recorder.ts';
import { IdentityCache } from './identity-cache.ts';
import { IdentityChanges } from './identity-changes.ts';
import { groupKey, IdentityStatusReconciler, userKey } from './identity-status/reconcile.ts';
import { RoleBindingsReconciler } from './role-bindings/reconcile.ts';
import { userSubject } from './role-bindings/subject-name.ts';
import { StatusWriter } from './status-writer.ts';

export interface OperatorControllersOptions {
  kc: KubeConfig;
  cache: StoreCache;
  settings: Settings;
  logger: LoggerLike;
  metrics: Metrics;
  controllerMetrics: ControllerMetrics;
  clock?: () => Date;
  /** Namespace of the Secrets DownstreamApps reference (the operator's own); without it no app is served. */
  secretNamespace?: string;
  /**
   * The connections that have a token now. Unless settings `connections` lists them, the installation serves these
   * and every connection that still owns identities or is named by a mapping (connection-scope.ts): a deleted token
   * stops writes, never revocation.
   */
  connections?: () => ReadonlySet<string>;
}

/**
 * The controllers and the watches that feed them. Informers run on every replica (so a new leader starts warm);
 * `startControllers()` runs the workers, on the leader only. Event handlers map a change to the keys it affects
 * and never do work themselves.
 */
export class OperatorControllers {
  readonly mappings: CachedInformer<KubernetesObject>;
  readonly namespaces: CachedInformer<KubernetesObject>;
  readonly roleBindings: CachedInformer<KubernetesObject>;
  readonly clusterRoleBindings: CachedInformer<KubernetesObject>;
  readonly identities: IdentityCache;
  readonly roleBindingsController: Controller;
  readonly identityStatusController: Controller;
  readonly downstreamApps: CachedInformer<KubernetesObject>;
  /** The Secrets DownstreamApps may take credentials from, one informer each (the operator may read only these). */
  readonly secrets: CachedInformer<KubernetesObject>[];
  readonly appAccountsController: Controller;
  readonly appClients: AppClients;
  private readonly appAccounts: AppAccountsReconciler;
  /** Writes sent to the API server by the controllers, as `verb target` (tests assert a converged state sends none). */
  readonly writes: { verb: string; target: string }[] = [];
  private readonly cache: StoreCache;
  private readonly lastSubject = new Map<string, string>();
  private readonly userChanges = new IdentityChanges();
  private readonly groupChanges = new IdentityChanges();
  private readonly settings: Settings;

  constructor(options: OperatorControllersOptions) {
    const { kc, cache, settings, logger, metrics } = options;
    this.cache = cache;
    this.settings = settings;
    const custom = kc.makeApiClient(CustomObjectsApi);
    const core = kc.makeApiClient(CoreV1Api);
    const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    const managed = `${labels.managedBy}=scim-operator`;
    const informerError = (name: string) => (err: unknown, restartInMs: number) =>
      logger.warn({ informer: name, err: String(err), restartInMs }, 'watch failed; restarting');
    this.mappings = createInformer(
      kc,
      `/apis/${API_GROUP}/${API_VERSION}/accessmappings`,
      () =>
        custom.listClusterCustomObject({ group: API_GROUP, version: API_VERSION, plural: 'accessmappings' }) as never,
      { name: 'accessmappings', onError: informerError('accessmappings') },
    );
    this.namespaces = createInformer(kc, '/api/v1/namespaces', () => core.listNamespace(), {
      name: 'namespaces',
      onError: informerError('namespaces'),
    });
    this.roleBindings = createInformer(
      kc,
      '/apis/rbac.authorization.k8s.io/v1/rolebindings',
      () => rbac.listRoleBindingForAllNamespaces({ labelSelector: managed }),
      { name: 'rolebindings', labelSelector: managed, onError: informerError('rolebindings') },
    );
    this.clusterRoleBindings = createInformer(
      kc,
      '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
      () => rbac.listClusterRoleBinding({ labelSelector: managed }),
      { name: 'clusterrolebindings', labelSelector: managed, onError: informerError('clusterrolebindings') },
    );
    this.identities = new IdentityCache(cache, settings.subjects);
    this.downstreamApps = createInformer(
      kc,
      `/apis/${API_GROUP}/${API_VERSION}/downstreamapps`,
      () =>
        custom.listClusterCustomObject({ group: API_GROUP, version: API_VERSION, plural: 'downstreamapps' }) as never,
      { name: 'downstreamapps', onError: informerError('downstreamapps') },
    );
    const secretNamespace = options.secretNamespace;
    const secretNames = new Set(settings.downstream.secretNames);
    this.secrets = secretNamespace
      ? [...secretNames].map((name) => {
          const fieldSelector = `metadata.name=${name}`;
          return createInformer(
            kc,
            `/api/v1/namespaces/${secretNamespace}/secrets`,
            () => core.listNamespacedSecret({ namespace: secretNamespace, fieldSelector }),
            { name: `secret ${name}`, fieldSelector, onError: informerError(`secret ${name}`) },
          );
        })
      : [];

    const onWrite = (verb: string, target: string) => {
      if (this.writes.length < 100_000) this.writes.push({ verb, target });
    };
    const eventsDropped = new Counter({
      name: 'scim_operator_events_dropped_total',
      help: 'Events not recorded because too many were pending or the API server refused them.',
      registers: [metrics.registry],
    });
    const events = new EventRecorder(kc, {
      namespace: options.secretNamespace ?? 'default',
      onDrop: () => eventsDropped.inc(),
    });
    const status = new StatusWriter(kc, onWrite);
    const writeToRbac = new Histogram({
      name: 'scim_operator_scim_write_to_rbac_seconds',
      help: 'Time from the SCIM write of a user to the RBAC binding change it caused.',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers: [metrics.registry],
    });
    const bindingIndex = new BindingIndex([this.roleBindings, this.clusterRoleBindings], (subjects) => {
      for (const subject of subjects)
        for (const id of this.identities.usersWithSubject(subject)) this.identityStatusController.enqueue(userKey(id));
    });

    const workers = settings.controllers.workers;
    // Several installations may share a cluster (and the tests run several operators in one): each manages the
    // identities of the connections it serves, and the mappings that name one of them (or none, if it serves one).
    const tokens = options.connections ?? (() => new Set<string>());
    const served = () =>
      servedConnections(settings.connections, tokens(), [
        ...this.identities.connections(),
        ...this.allMappings().flatMap((m) => (m.spec.connection ? [m.spec.connection] : [])),
      ]);
    const servesConnection = (connection: string | undefined) => connection !== undefined && served().has(connection);
    const roleBindings = new RoleBindingsReconciler({
      kc,
      connectionOf: (mapping) => mappingConnection(mapping, served()),
      operatorNamespace: options.secretNamespace,
      mappings: this.mappings,
      namespaces: this.namespaces,
      roleBindings: this.roleBindings,
      clusterRoleBindings: this.clusterRoleBindings,
      identities: this.identities,
      settings,
      events,
      status,
      clock: options.clock,
      observeWriteToRbac: (s) => writeToRbac.observe(s),
      onWrite,
    });
    this.roleBindingsController = new Controller({
      name: 'accessmapping',
      reconcile: roleBindings.reconcile,
      logger,
      workers,
      metrics: options.controllerMetrics,
    });
    const identityStatus = new IdentityStatusReconciler({
      identities: this.identities,
      serves: (object) => servesConnection(object.metadata.labels?.[labels.connection]),
      bindings: bindingIndex,
      events,
      status,
      clock: options.clock,
    });
    this.identityStatusController = new Controller({
      name: 'scimidentity',
      reconcile: (key) => identityStatus.reconcile(key),
      logger,
      workers,
      metrics: options.controllerMetrics,
    });
    const secretOf = (name: string) =>
      secretNames.has(name)
        ? this.secrets.map((i) => i.get(name, secretNamespace)).find((o) => o !== undefined)
        : undefined;
    const readSecret = (ref: { name: string; key: string }) => {
      const data = (secretOf(ref.name) as { data?: Record<string, string> } | undefined)?.data?.[ref.key];
      return data === undefined ? undefined : Buffer.from(data, 'base64').toString('utf8');
    };
    const credentialAllowed = (ref: { name: string; key: string }, app: string) =>
      grantedApps(secretOf(ref.name), ref.key).has(app);
    const fence = new DestinationFence({
      allowed: settings.downstream.allowedAddresses,
      apiServerHosts: apiServerHosts(kc.getCurrentCluster()?.server),
    });
    const downstreamMetrics = new DownstreamMetrics(metrics.registry, () => this.accountsByState());
    this.appClients = new AppClients({
      readSecret,
      credentialAllowed,
      fence,
      observe: (app, method, code, seconds) => downstreamMetrics.observe(app, method, code, seconds),
      onHealthChange: (app) => this.appAccountsController.enqueue(appKey(app)),
    });
    this.appAccounts = new AppAccountsReconciler({
      kc,
      users: cache.users,
      apps: this.downstreamApps,
      // Connection-less mappings read as their one served connection; ambiguous ones assign nothing.
      mappings: {
        list: () => {
          const scope = served();
          return this.allMappings().flatMap(
            (m) => withExplicitConnection(m, scope) ?? [],
          ) as unknown as KubernetesObject[];
        },
      },
      identities: this.identities,
      clients: this.appClients,
      readSecret,
      credentialAllowed,
      fence,
      events,
      status,
      serves: (app) => secretNamespace !== undefined && (!app.spec.connection || servesConnection(app.spec.connection)),
      enqueue: (key) => this.appAccountsController.enqueue(key),
      clock: options.clock,
      onWrite,
    });
    this.appAccountsController = new Controller({
      name: 'downstreamaccounts',
      reconcile: this.appAccounts.reconcile,
      logger,
      // Downstream requests wait on the network, not the CPU; each app's own limits cap what reaches it.
      workers: workers * 4,
      metrics: options.controllerMetrics,
      rateLimiter: exponentialRateLimiter({ baseMs: 500, maxMs: 120_000 }),
    });
    this.watch();
    this.watchDownstream();
    this.gauges(metrics);
  }

  private allMappings(): AccessMapping[] {
    return this.mappings.list() as unknown as AccessMapping[];
  }

  private enqueueMappings(filter: (m: AccessMapping) => boolean): void {
    for (const m of this.allMappings()) if (filter(m)) this.roleBindingsController.enqueue(m.metadata.name);
  }

  private mappingRefersToGroup(m: AccessMapping, group: ScimGroup): boolean {
    return (m.spec.subjects.groups ?? []).some((ref) =>
      ref.displayName
        ? ref.displayName.toLowerCase() === group.spec.displayName.toLowerCase()
        : ref.externalId === group.spec.externalId,
    );
  }

  private mappingRefersToUser(m: AccessMapping, user: ScimUser): boolean {
    const name = user.spec.userName.toLowerCase();
    const direct = [...(m.spec.subjects.users ?? []), ...(m.spec.subjects.excludeUsers ?? [])];
    if (direct.some((u) => u.userName.toLowerCase() === name)) return true;
    const groups = this.identities.groupsOf(user.metadata.name).map((id) => this.identities.group(id));
    return groups.some((g) => g !== undefined && this.mappingRefersToGroup(m, g));
  }

  private watch(): void {
    const settings = this.settings;
    const rb = this.roleBindingsController;
    const status = this.identityStatusController;
    for (const event of ['add', 'update', 'delete'] as const) {
      this.mappings.on(event, (o) => rb.enqueue(o.metadata?.name ?? ''));
      // A namespace appearing, or being relabelled, can match any mapping's list or selector.
      this.namespaces.on(event, () => this.enqueueMappings(() => true));
      for (const bindings of [this.roleBindings, this.clusterRoleBindings]) {
        // Drift: a generated binding edited or deleted by hand is enqueued back to its owner.
        bindings.on(event, (o) => {
          const owner = o.metadata?.ownerReferences?.find((r) => r.kind === 'AccessMapping');
          if (owner) rb.enqueue(owner.name);
        });
      }
      this.cache.users.on(event, (o) => {
        if (!this.userChanges.changed(o, event)) return;
        const user = o as unknown as ScimUser;
        const id = user.metadata.name;
        status.enqueue(userKey(id));
        // Users sharing this user's old or new subject may become duplicates, or stop being ones.
        const subject = userSubject(user, settings.subjects);
        const now = subject.ok && event !== 'delete' ? subject.name : undefined;
        for (const name of new Set([this.lastSubject.get(id), now])) {
          if (name) for (const peer of this.identities.usersWithSubject(name)) status.enqueue(userKey(peer));
        }
        if (now) this.lastSubject.set(id, now);
        else this.lastSubject.delete(id);
        this.enqueueMappings((m) => this.mappingRefersToUser(m, user));
      });
      this.cache.groups.on(event, (o) => {
        if (!this.groupChanges.changed(o, event)) return;
        const group = o as unknown as ScimGroup;
        status.enqueue(groupKey(group.metadata.name));
        // A rename can move a group into or out of any mapping.
        this.enqueueMappings(() => true);
      });
    }
    this.cache.memberships.onChange((groupId, members) => {
      status.enqueue(groupKey(groupId));
      for (const id of members) status.enqueue(userKey(id));
      const group = this.identities.group(groupId);
      if (group) this.enqueueMappings((m) => this.mappingRefersToGroup(m, group));
    });
  }

  private enqueueAllAccounts(): void {
    for (const u of this.identities.users()) this.appAccountsController.enqueue(accountsKey(u.metadata.name));
    for (const a of this.downstreamApps.list()) this.appAccountsController.enqueue(appKey(a.metadata?.name ?? ''));
  }

  private accountsByState(): Map<string, Record<string, number>> {
    const out = new Map<string, Record<string, number>>();
    for (const user of this.identities.users()) {
      for (const entry of this.appAccounts.entriesOf(user)) {
        const counts: Record<string, number> = out.get(entry.app) ?? {
          Pending: 0,
          Provisioned: 0,
          Deprovisioned: 0,
          Failed: 0,
        };
        counts[entry.state] = (counts[entry.state] ?? 0) + 1;
        out.set(entry.app, counts);
      }
    }
    return out;
  }

  /** Which changes can change which downstream accounts. Spec changes only: our own status writes are ignored. */
  private watchDownstream(): void {
    const accounts = this.appAccountsController;
    const accountChanges = new IdentityChanges();
    const generations = new Map<string, string>();
    const specChanged = (kind: string, o: KubernetesObject, event: string) => {
      const key = `${kind}/${o.metadata?.name}`;
      const now = `${o.metadata?.generation}/${o.metadata?.deletionTimestamp ?? ''}`;
      const changed = event !== 'update' || generations.get(key) !== now;
      if (event === 'delete') generations.delete(key);
      else generations.set(key, now);
      return changed;
    };
    const pushApps = () => {
      for (const a of this.downstreamApps.list() as unknown as DownstreamApp[])
        if (a.spec.groups?.push) accounts.enqueue(appKey(a.metadata.name));
    };
    for (const event of ['add', 'update', 'delete'] as const) {
      this.downstreamApps.on(event, (o) => {
        accounts.enqueue(appKey(o.metadata?.name ?? ''));
        if (specChanged('App', o, event))
          for (const u of this.identities.users()) accounts.enqueue(accountsKey(u.metadata.name));
      });
      this.mappings.on(event, (o) => {
        if (specChanged('Mapping', o, event)) this.enqueueAllAccounts();
      });
      this.cache.users.on(event, (o) => {
        if (accountChanges.changed(o, event)) accounts.enqueue(accountsKey(o.metadata?.name ?? ''));
      });
      this.cache.groups.on(event, (o) => {
        // Member changes arrive through the membership index; a group event matters only when the group itself changed.
        if (!accountChanges.changed(o, event)) return;
        for (const id of this.identities.membersOf(o.metadata?.name ?? '')) accounts.enqueue(accountsKey(id));
        pushApps();
      });
      for (const secrets of this.secrets)
        secrets.on(event, (o) => {
          // A rotated credential is read at the next request; apps using it re-check, failed accounts retry now.
          for (const a of this.downstreamApps.list() as unknown as DownstreamApp[]) {
            const auth = a.spec.auth ?? {};
            const refs = [
              auth.bearer?.token,
              auth.basic?.username,
              auth.basic?.password,
              auth.oauth2?.clientId,
              auth.oauth2?.clientSecret,
            ];
            if (!refs.some((r) => r?.name === o.metadata?.name)) continue;
            accounts.enqueue(appKey(a.metadata.name));
            for (const u of this.identities.users())
              if (this.appAccounts.entriesOf(u).some((e) => e.app === a.metadata.name && e.state !== 'Provisioned'))
                accounts.enqueue(accountsKey(u.metadata.name));
          }
        });
    }
    this.cache.memberships.onChange((_groupId, members) => {
      for (const id of members) accounts.enqueue(accountsKey(id));
      pushApps();
    });
  }

  private gauges(metrics: Metrics): void {
    const identities = this.identities;
    const self = this;
    new Gauge({
      name: 'scim_operator_users',
      help: 'ScimUsers by state: active, inactive or suspended.',
      labelNames: ['state'] as const,
      registers: [metrics.registry],
      collect() {
        const counts = { active: 0, inactive: 0, suspended: 0 };
        for (const u of identities.users()) {
          if (u.metadata.labels?.[labels.suspended] === 'true') counts.suspended++;
          else if (u.spec.active === false) counts.inactive++;
          else counts.active++;
        }
        for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
      },
    });
    new Gauge({
      name: 'scim_operator_groups',
      help: 'ScimGroups.',
      registers: [metrics.registry],
      collect() {
        this.set(identities.groups().length);
      },
    });
    new Gauge({
      name: 'scim_operator_bindings_managed',
      help: 'RoleBindings and ClusterRoleBindings generated by the operator.',
      labelNames: ['kind'] as const,
      registers: [metrics.registry],
      collect() {
        this.set({ kind: 'RoleBinding' }, self.roleBindings.list().length);
        this.set({ kind: 'ClusterRoleBinding' }, self.clusterRoleBindings.list().length);
      },
    });
  }

  async startInformers(): Promise<void> {
    await Promise.all([
      this.mappings.start(),
      this.namespaces.start(),
      this.roleBindings.start(),
      this.clusterRoleBindings.start(),
      this.downstreamApps.start(),
    ]);
    // Not awaited, nor part of hasSynced: a Secret the operator may not read (or that does not exist yet) must not
    // keep it from serving SCIM; apps using it report Authenticated=False (SecretNotFound) until it is readable.
    for (const secrets of this.secrets) void secrets.start();
  }

  /** The informers the controllers need listed before they run (the credential Secrets are optional). */
  informers(): CachedInformer<KubernetesObject>[] {
    return [this.mappings, this.namespaces, this.roleBindings, this.clusterRoleBindings, this.downstreamApps];
  }

  hasSynced(): boolean {
    return this.informers().every((i) => i.hasSynced());
  }

  /** Runs the workers (leader only), after enqueueing everything once: the first pass is a full resync. */
  startControllers(): void {
    this.enqueueMappings(() => true);
    for (const u of this.identities.users()) this.identityStatusController.enqueue(userKey(u.metadata.name));
    for (const g of this.identities.groups()) this.identityStatusController.enqueue(groupKey(g.metadata.name));
    this.enqueueAllAccounts();
    this.roleBindingsController.start();
    this.identityStatusController.start();
    this.appAccountsController.start();
  }

  /**
   * Stops the workers when leadership is lost: in-flight reconciles are told to abandon and awaited; informers keep
   * running, and `startControllers()` runs the workers again on a new term.
   */
  async stopControllers(): Promise<void> {
    await Promise.all(
      [this.roleBindingsController, this.identityStatusController, this.appAccountsController].map((c) =>
        c.stop({ abandon: true }),
      ),
    );
  }

  /** A full resync: every key once more. In a converged state it must write nothing. */
  resync(): void {
    this.enqueueMappings(() => true);
    for (const u of this.identities.users()) this.identityStatusController.enqueue(userKey(u.metadata.name));
    for (const g of this.identities.groups()) this.identityStatusController.enqueue(groupKey(g.metadata.name));
    this.enqueueAllAccounts();
  }

  async stop(): Promise<void> {
    await Promise.all([
      this.roleBindingsController.stop(),
      this.identityStatusController.stop(),
      this.appAccountsController.stop(),
    ]);
    this.appClients.close();
    await Promise.all([
      this.mappings.stop(),
      this.namespaces.stop(),
      this.roleBindings.stop(),
      this.clusterRoleBindings.stop(),
      this.downstreamApps.stop(),
      ...this.secrets.map((i) => i.stop()),
    ]);
  }
}
