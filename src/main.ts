/**
 * The composition root. It wires, in this order:
 * - the Kubernetes client (--kubeconfig, else $KUBECONFIG, ~/.kube/config, then in-cluster),
 * - the token Secret watcher (bearer tokens, one connection per key prefix),
 * - the Kubernetes ScimStore with its informer caches,
 * - the SCIM service and its express app on the SCIM address,
 * - metrics, /healthz and /readyz on the metrics address,
 * - the controllers' informers on every replica, and their workers on the leader only (Lease election);
 * and stops them in reverse on SIGTERM. Losing the Lease exits the process, as controller-runtime does. Nothing else reads configuration or starts servers.
 */

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { watchTokenSecret } from './auth/token-secret.ts';
import { type Config, podNamespace } from './config.ts';
import { OperatorControllers } from './controllers/operator-controllers.ts';
import { createScimApp } from './http/app.ts';
import { ControllerMetrics } from './observability/controller-metrics.ts';
import { createLogger, type Logger } from './observability/logger.ts';
import { Metrics } from './observability/metrics.ts';
import { createProbesServer } from './observability/probes-server.ts';
import { type LeaderElection, startLeaderElection } from './runtime/leader-election.ts';
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

export function loadKubeConfig(file: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (file) kc.loadFromFile(file);
  else kc.loadFromDefault();
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
  /** Called when leadership is lost; the default exits the process. */
  onLeadershipLost?: () => void;
  identity?: string;
}

export async function startOperator(config: Config, options: StartOptions = {}): Promise<RunningOperator> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const settings = options.settings ?? (await loadSettings(config.configFile));
  const kc = loadKubeConfig(config.kubeconfig);
  const metrics = new Metrics();
  const controllerMetrics = new ControllerMetrics(metrics.registry);

  const tokens = watchTokenSecret(kc, config.tokenSecret, (connections) => {
    metrics.tokenKeys.reset();
    for (const [connection, count] of connections) metrics.tokenKeys.set({ connection }, count);
    logger.info({ connections: [...connections.keys()] }, 'SCIM tokens loaded');
  });
  metrics.tokenAge = () => tokens.ageSeconds();
  const store = new KubernetesScimStore({
    kc,
    onUnexpectedError: (err, operation) => logger.error({ err, operation }, 'Kubernetes request failed'),
  });

  const controllers = new OperatorControllers({
    kc,
    cache: store.cache,
    settings,
    logger: logger.child({ component: 'controllers' }),
    metrics,
    controllerMetrics,
    secretNamespace: config.tokenSecret.namespace,
    connections: () => new Set(tokens.connections().keys()),
  });

  const probes = createProbesServer(metrics, () => [
    { name: 'token-secret', ready: tokens.hasSynced },
    { name: 'informers', ready: () => store.cache.hasSynced() && controllers.hasSynced() },
  ]);
  const metricsAddress = await listen(probes, config.metricsAddress);

  await Promise.all([tokens.start(), store.start(), controllers.startInformers()]);

  const resync = setInterval(() => controllers.resync(), settings.controllers.resyncSeconds * 1000);
  resync.unref();
  let election: LeaderElection | undefined;
  if (settings.leaderElection.enabled) {
    election = startLeaderElection({
      kc,
      namespace: settings.leaderElection.namespace ?? podNamespace() ?? config.tokenSecret.namespace,
      name: settings.leaderElection.leaseName,
      identity: options.identity,
      logger,
      metrics: controllerMetrics.forLeaderElection(settings.leaderElection.leaseName),
      onStartedLeading: () => {
        logger.info({ identity: election?.identity }, 'became leader: starting controllers');
        controllers.startControllers();
      },
      onStoppedLeading:
        options.onLeadershipLost ??
        (() => {
          logger.error('leader election lost');
          process.exit(1);
        }),
    });
  } else {
    controllers.startControllers();
  }

  // The app is attached after listen because the public URL defaults to the bound address (port 0 in tests).
  const server = http.createServer();
  const scimAddress = await listen(server, config.scimAddress);
  const scimUrl = config.publicUrl ?? `${urlOf(scimAddress)}/scim/v2`;
  const app = createScimApp({
    service: createScimService({ store, baseUrl: scimUrl }),
    authenticate: tokens.authenticate,
    limits: { maxBodyBytes: limits.maxBodyBytes, requestTimeoutMs: config.requestTimeoutMs },
    logger,
    metrics: metrics.http(),
  });
  server.on('request', app);
  logger.info({ scimUrl, metrics: urlOf(metricsAddress) }, 'scim-operator is serving');

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
