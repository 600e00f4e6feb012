import type { KubeConfig, V1RoleBinding } from '@kubernetes/client-node';
import type { AccessMapping } from '../api/access-mapping.ts';
import { AccessMetrics } from '../observability/access-metrics.ts';
import type { ControllerMetrics } from '../observability/controller-metrics.ts';
import type { Metrics } from '../observability/metrics.ts';
import { type Clock, systemClock } from '../runtime/clock.ts';
import type { CachedInformer } from '../runtime/informer.ts';
import type { LoggerLike } from '../runtime/reconciler.ts';
import type { Settings } from '../settings.ts';
import type { StoreCache } from '../store/store-cache.ts';
import { AppAccountsProduct } from './app-accounts/wiring.ts';
import { DrillProduct } from './drill/wiring.ts';
import { IdentityStatusProduct } from './identity-status/wiring.ts';
import { RoleBindingsProduct } from './role-bindings/wiring.ts';
import { EventRecorder } from './shared/event-recorder.ts';
import { IdentityCache } from './shared/identity-cache.ts';
import { InformerFactory } from './shared/informer-factory.ts';
import type { Product } from './shared/product.ts';
import { ConnectionScope, type SharedInputs } from './shared/shared-inputs.ts';
import { StatusWriter } from './shared/status-writer.ts';
import { userStates } from './shared/user-states.ts';
import { UnmanagedAccessProduct } from './unmanaged-access/wiring.ts';

export interface OperatorControllersOptions {
  kc: KubeConfig;
  cache: StoreCache;
  settings: Settings;
  logger: LoggerLike;
  metrics: Metrics;
  controllerMetrics: ControllerMetrics;
  clock?: Clock;
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
 * Builds the shared pieces (shared/), then each product from them (role-bindings/, identity-status/, app-accounts/:
 * one wiring module each), and hands the products to `OperatorControllers`. The only place that knows all three.
 */
export function createOperatorControllers(options: OperatorControllersOptions): OperatorControllers {
  const { kc, settings, logger } = options;
  const writes: WriteLog = [];
  const accessMetrics = new AccessMetrics(options.metrics.registry);
  const onWrite = (verb: string, target: string) => {
    accessMetrics.countWrite(verb, target);
    if (writes.length < 100_000) writes.push({ verb, target });
  };
  const informers = new InformerFactory(kc, logger);
  const identities = new IdentityCache(options.cache, settings.subjects);
  const mappings = informers.customResources<AccessMapping>('accessmappings');
  const shared: SharedInputs = {
    kc,
    settings,
    logger,
    clock: options.clock ?? systemClock,
    metrics: options.metrics,
    controllerMetrics: options.controllerMetrics,
    informers,
    identities,
    mappings,
    scope: new ConnectionScope(settings.connections, options.connections ?? (() => new Set()), identities, mappings),
    events: new EventRecorder(kc, {
      namespace: options.secretNamespace ?? 'default',
      onDrop: () => accessMetrics.eventsDropped.inc(),
      // Counted as a write but not logged in `writes`, which tests read as the access writes of a change.
      onSend: () => accessMetrics.countWrite('create', 'events'),
    }),
    status: new StatusWriter(kc, onWrite),
    onWrite,
    operatorNamespace: options.secretNamespace,
  };
  const roleBindings = new RoleBindingsProduct(shared, (seconds) => accessMetrics.writeToRbac.observe(seconds));
  const bindings = [roleBindings.roleBindings, roleBindings.clusterRoleBindings];
  const unmanaged = new UnmanagedAccessProduct(shared);
  const identityStatus = new IdentityStatusProduct(shared, bindings, [unmanaged.userCondition()]);
  const products: Product[] = [roleBindings, identityStatus, new AppAccountsProduct(shared), unmanaged];
  if (settings.drill.enabled) products.push(new DrillProduct(shared));
  accessMetrics.observe({
    userStates: () => userStates(identities.users()),
    groupCount: () => identities.groups().length,
    bindingCounts: () => roleBindings.bindingCounts(),
    unmanagedGrants: () => unmanaged.reconciler.counts(),
  });
  return new OperatorControllers(products, { writes, mappings, roleBindings: roleBindings.roleBindings });
}

/** Writes sent to the API server by the controllers, as `verb target` (tests assert a converged state sends none). */
export type WriteLog = { verb: string; target: string }[];

export interface ControllerViews {
  writes: WriteLog;
  mappings: CachedInformer<AccessMapping>;
  roleBindings: CachedInformer<V1RoleBinding>;
}

/**
 * Starts and stops the products it is given. Informers run on every replica (so a new leader starts warm);
 * `startControllers()` runs the workers, on the leader only. Event handlers map a change to keys and never do work.
 */
export class OperatorControllers {
  readonly writes: WriteLog;
  /** Read-only caches, for tests and benchmarks that poll convergence without asking the API server. */
  readonly mappings: CachedInformer<AccessMapping>;
  readonly roleBindings: CachedInformer<V1RoleBinding>;
  private readonly products: readonly Product[];

  constructor(products: readonly Product[], views: ControllerViews) {
    this.products = products;
    this.writes = views.writes;
    this.mappings = views.mappings;
    this.roleBindings = views.roleBindings;
  }

  /** The informers the controllers need listed before they run (the credential Secrets are optional). */
  informers(): CachedInformer<unknown>[] {
    return [...new Set(this.products.flatMap((p) => p.informers))];
  }

  async startInformers(): Promise<void> {
    await Promise.all(this.informers().map((i) => i.start()));
    // Not awaited, nor part of hasSynced (see Product.optionalInformers).
    for (const informer of this.optionalInformers()) void informer.start();
  }

  hasSynced(): boolean {
    return this.informers().every((i) => i.hasSynced());
  }

  /** Runs the workers (leader only), after enqueueing everything once: the first pass is a full resync. */
  startControllers(): void {
    this.resync();
    for (const product of this.products) product.workers.start();
  }

  /**
   * Stops the workers when leadership is lost: in-flight reconciles are told to abandon and awaited; informers keep
   * running, and `startControllers()` runs the workers again on a new term.
   */
  async stopControllers(): Promise<void> {
    await Promise.all(this.products.map((p) => p.workers.stop({ abandon: true })));
  }

  /** A full resync: every key once more. In a converged state it must write nothing. */
  resync(): void {
    for (const product of this.products) product.enqueueAll();
  }

  async stop(): Promise<void> {
    await Promise.all(this.products.map((p) => p.workers.stop()));
    for (const product of this.products) product.close?.();
    await Promise.all([...this.informers(), ...this.optionalInformers()].map((i) => i.stop()));
  }

  private optionalInformers(): CachedInformer<unknown>[] {
    return this.products.flatMap((p) => p.optionalInformers ?? []);
  }
}
