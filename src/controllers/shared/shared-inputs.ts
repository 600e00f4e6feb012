import type { KubeConfig } from '@kubernetes/client-node';
import type { AccessMapping } from '../../api/access-mapping.ts';
import type { ControllerMetrics } from '../../observability/controller-metrics.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { Clock } from '../../runtime/clock.ts';
import type { CachedInformer } from '../../runtime/informer.ts';
import type { LoggerLike } from '../../runtime/reconciler.ts';
import type { Settings } from '../../settings.ts';
import { servedConnections, withExplicitConnection } from './connection-scope.ts';
import type { EventRecorder } from './event-recorder.ts';
import type { IdentityCache } from './identity-cache.ts';
import type { InformerFactory } from './informer-factory.ts';
import type { StatusWriter } from './status-writer.ts';

/** Counts API writes as `verb target`, so tests and benchmarks can assert that a converged state writes nothing. */
export type WriteObserver = (verb: string, target: string) => void;

/**
 * The pieces every product's wiring builds on, made once by the composition. Products depend on these and on
 * nothing of each other (or of the composition), so the wiring has no import cycle.
 */
export interface SharedInputs {
  kc: KubeConfig;
  settings: Settings;
  logger: LoggerLike;
  clock: Clock;
  metrics: Metrics;
  controllerMetrics: ControllerMetrics;
  informers: InformerFactory;
  identities: IdentityCache;
  /** Read by two products (RoleBindings from each mapping, accounts from every mapping). */
  mappings: CachedInformer<AccessMapping>;
  scope: ConnectionScope;
  events: EventRecorder;
  status: StatusWriter;
  onWrite: WriteObserver;
  /** The operator's namespace: Events, credential Secrets, always a protected namespace. */
  operatorNamespace?: string;
}

/**
 * Which connections this installation serves right now (connection-scope.ts): settings `connections`, else those
 * with a token, owning identities or named by a mapping. Several installations may share a cluster (and the tests
 * run several operators in one): each manages only its connections' identities and the mappings naming them.
 */
export class ConnectionScope {
  private readonly configured: readonly string[];
  private readonly tokens: () => ReadonlySet<string>;
  private readonly identities: IdentityCache;
  private readonly mappings: CachedInformer<AccessMapping>;

  constructor(
    configured: readonly string[],
    tokens: () => ReadonlySet<string>,
    identities: IdentityCache,
    mappings: CachedInformer<AccessMapping>,
  ) {
    this.configured = configured;
    this.tokens = tokens;
    this.identities = identities;
    this.mappings = mappings;
  }

  served(): ReadonlySet<string> {
    return servedConnections(this.configured, this.tokens(), [
      ...this.identities.connections(),
      ...this.mappings.list().flatMap((m) => (m.spec.connection ? [m.spec.connection] : [])),
    ]);
  }

  serves(connection: string | undefined): boolean {
    return connection !== undefined && this.served().has(connection);
  }

  /** The mappings this installation applies, each naming its connection; ambiguous ones are left out. */
  explicitMappings(): AccessMapping[] {
    const served = this.served();
    return this.mappings.list().flatMap((m) => withExplicitConnection(m, served) ?? []);
  }
}
