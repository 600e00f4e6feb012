/**
 * The composition root. It wires, in this order:
 * - the Kubernetes client (--kubeconfig, else $KUBECONFIG, ~/.kube/config, then in-cluster),
 * - the token Secret watcher (bearer tokens, one connection per key prefix),
 * - the Kubernetes ScimStore with its informer caches,
 * - the SCIM service and its express app on the SCIM address,
 * - metrics, /healthz and /readyz on the metrics address,
 * - the controllers' informers on every replica, and their workers on the leader only (Lease election), writing
 *   through a fenced KubeConfig that refuses writes once the Lease is lost;
 * and stops them in reverse on SIGTERM. Losing the Lease stops the workers and the replica contends again; SCIM
 * serving goes on (docs/adr/0012-leadership-is-not-liveness.md). Nothing else reads configuration or starts servers.
 *
 * The SCIM port listens at once but answers 503 with Retry-After until the tokens are known and the store's caches
 * are listed; /readyz says which is missing.
 */

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { TOKEN_SECRET_STATES, watchTokenSecret } from './auth/token-secret.ts';
import { type Config, podNamespace } from './config.ts';
import { createOperatorControllers, type OperatorControllers } from './controllers/operator-controllers.ts';
import { createScimApp } from './http/app.ts';
import { drainKeepAlive } from './http/drain.ts';
import { ControllerMetrics } from './observability/controller-metrics.ts';
import { logInformerFailures, readinessChecks, recoveryLogger } from './observability/informer-reports.ts';
import { createLogger, type Logger } from './observability/logger.ts';
import { Metrics } from './observability/metrics.ts';
import { createProbesServer } from './observability/probes-server.ts';
import { registerStoreMetrics } from './observability/store-metrics.ts';
import { watchApiServer } from './runtime/api-server-health.ts';
import { type LeaderElection, startLeaderElection } from './runtime/leader-election.ts';
import { fencedKubeConfig } from './runtime/write-fence.ts';
import { unavailable } from './scim/errors.ts';
import { createScimService } from './scim/operations.ts';
import { limits } from './scim/schemas.ts';
import { loadSettings, type Settings } from './settings.ts';
import { KubernetesScimStore } from './store/kubernetes-store.ts';

export interface RunningOperator {
  scimUrl: string;
  controllers: OperatorControllers;
  isLeader(): boolean;
  metricsUrl: string;
  logger: Logger;
  stop(): Promise<void>;
}

/** `files`: one kubeconfig file or a `path.delimiter`-separated list, merged as kubectl does; none: in-cluster. */
export function loadKubeConfig(files: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (!files) {
    kc.loadFromCluster();
    return kc;
  }
  const [first, ...rest] = files.split(path.delimiter).filter((f) => f);
  kc.loadFromFile(first ?? files);
  for (const file of rest) {
    const more = new KubeConfig();
    more.loadFromFile(file);
    kc.mergeConfig(more);
  }
  return kc;
}

async function listen(server: http.Server, address: { host: string; port: number }): Promise<AddressInfo> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => resolve());
  });
  return server.address() as AddressInfo;
}

function urlOf(address: AddressInfo): string {
  const host = address.address === '0.0.0.0' || address.address === '::' ? '127.0.0.1' : address.address;
  return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
}

export interface StartOptions {
  logger?: Logger;
  settings?: Settings;
  /** Called when leadership was lost and the controllers' workers have stopped; the replica then contends again. */
  onLeadershipLost?: () => void;
  identity?: string;
}

export async function startOperator(config: Config, options: StartOptions = {}): Promise<RunningOperator> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const settings = options.settings ?? (await loadSettings(config.configFile));
  const kc = loadKubeConfig(config.kubeconfig);
  const metrics = new Metrics();
  const controllerMetrics = new ControllerMetrics(metrics.registry);

  const tokens = watchTokenSecret(kc, config.tokenSecret, {
    logger,
    onChange: (connections) => {
      metrics.tokenKeys.reset();
      for (const [connection, count] of connections) metrics.tokenKeys.set({ connection }, count);
    },
  });
  metrics.tokenAge = () => tokens.ageSeconds();
  metrics.tokenSecret = () => ({ state: tokens.state(), states: TOKEN_SECRET_STATES });
  metrics.weakTokens = () => tokens.weakTokens();
  const store = new KubernetesScimStore({
    kc,
    // Conflict retries end before the request's own deadline, so the client gets the store's 503 with Retry-After
    // rather than the deadline's.
    conflictRetryMs: Math.max(500, config.requestTimeoutMs - 5_000),
    onUnexpectedError: (err, operation) => logger.error({ err, operation }, 'Kubernetes request refused or failed'),
  });
  registerStoreMetrics(metrics.registry, store);
  const storeInformers = [store.cache.users, store.cache.groups, store.cache.shards];
  for (const informer of storeInformers) logInformerFailures(informer, logger);

  let election: LeaderElection | undefined;
  const leads = () => (settings.leaderElection.enabled ? (election?.isLeader() ?? false) : true);
  const controllers = createOperatorControllers({
    kc: fencedKubeConfig(kc, leads),
    cache: store.cache,
    settings,
    logger: logger.child({ component: 'controllers' }),
    metrics,
    controllerMetrics,
    secretNamespace: config.tokenSecret.namespace,
    connections: () => new Set(tokens.connections().keys()),
  });
  // The controllers' informers log their failures themselves (onError); only recoveries are added here.
  for (const informer of controllers.informers()) informer.onError(() => {}, recoveryLogger(informer, logger));
  const informers = [...storeInformers, ...controllers.informers()];
  metrics.failingInformers = () => informers.filter((i) => i.failure()).map((i) => i.name);

  const probes = createProbesServer(metrics, () => readinessChecks(tokens, informers));
  const metricsAddress = await listen(probes, config.metricsAddress);

  const apiServer = watchApiServer(kc, {
    onChange: (reachable, problem) => {
      if (reachable) logger.info('the API server answers again: SCIM serves again');
      else logger.warn({ cause: problem }, 'the API server does not answer: SCIM answers 503 until it does');
    },
  });
  metrics.apiServerReachable = () => apiServer.reachable();
  apiServer.start();

  // Each resolves after its first list, or its first failure (then it retries on its own): never blocks start-up.
  await Promise.all([tokens.start(), store.start(), controllers.startInformers()]);

  const resync = setInterval(() => controllers.resync(), settings.controllers.resyncSeconds * 1000);
  resync.unref();
  /** Each term of leadership; a term that ended before the caches were listed must not start the workers. */
  let term = 0;
  const startWorkers = async () => {
    const mine = ++term;
    await Promise.all(informers.map((i) => i.whenSynced()));
    if (mine !== term || !leads()) return;
    logger.info({ identity: election?.identity }, 'leading: starting the controllers');
    controllers.startControllers();
  };
  if (settings.leaderElection.enabled) {
    election = startLeaderElection({
      kc,
      namespace: settings.leaderElection.namespace ?? podNamespace() ?? config.tokenSecret.namespace,
      name: settings.leaderElection.leaseName,
      identity: options.identity,
      logger,
      metrics: controllerMetrics.forLeaderElection(settings.leaderElection.leaseName),
      onStartedLeading: () => void startWorkers(),
      onStoppedLeading: async () => {
        term++;
        logger.warn('leadership lost: stopping the controllers; SCIM serving goes on');
        await controllers.stopControllers();
        logger.info('controllers stopped; contending for the lease again');
        options.onLeadershipLost?.();
      },
    });
  } else {
    void startWorkers();
  }

  // The app is attached after listen because the public URL defaults to the bound address (port 0 in tests).
  const server = http.createServer();
  const scimAddress = await listen(server, config.scimAddress);
  const scimUrl = config.publicUrl ?? `${urlOf(scimAddress)}/scim/v2`;
  const app = createScimApp({
    service: createScimService({ store, baseUrl: scimUrl }),
    authenticate: (token) => {
      const connection = tokens.authenticate(token);
      // A listing from a cache not yet filled would tell the IdP that its users do not exist.
      if (connection !== undefined && !store.cache.hasSynced()) {
        throw unavailable('The SCIM endpoint is starting: its caches are not filled yet', 10);
      }
      // A stalled API server holds requests rather than failing them: answer now, not after the request timeout.
      if (connection !== undefined && !apiServer.reachable()) {
        throw unavailable('The Kubernetes API server does not answer; retry later', 5);
      }
      return connection;
    },
    limits: { maxBodyBytes: limits.maxBodyBytes, requestTimeoutMs: config.requestTimeoutMs },
    logger,
    metrics: metrics.http(),
  });
  server.on('request', app);
  logger.info({ scimUrl, metrics: urlOf(metricsAddress) }, 'SCIM endpoint listening');
  void Promise.all([store.cache.users, store.cache.groups, store.cache.shards].map((i) => i.whenSynced())).then(() => {
    const problem = tokens.problem();
    if (problem) logger.warn({ scimUrl, problem }, 'caches listed, but SCIM answers 503 until its tokens are usable');
    else logger.info({ scimUrl }, 'scim-operator is serving');
  });

  let stopping: Promise<void> | undefined;
  return {
    scimUrl,
    controllers,
    isLeader: () => election?.isLeader() ?? true,
    metricsUrl: `${urlOf(metricsAddress)}/metrics`,
    logger,
    stop() {
      stopping ??= (async () => {
        logger.info('stopping');
        clearInterval(resync);
        apiServer.stop();
        if (config.shutdownDrainMs) await drainKeepAlive(server, config.shutdownDrainMs);
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await controllers.stop();
        await election?.stop();
        await Promise.all([tokens.stop(), store.stop()]);
        await new Promise<void>((resolve) => probes.close(() => resolve()));
      })();
      return stopping;
    },
  };
}
