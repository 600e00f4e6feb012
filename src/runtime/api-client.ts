import {
  type ApiConstructor,
  type ApiType,
  createConfiguration,
  type KubeConfig,
  type RequestContext,
  ServerConfiguration,
  setHeaderMiddleware,
} from '@kubernetes/client-node';

type Dispatcher = ReturnType<RequestContext['getDispatcher']>;

/** Connection pools per kubeconfig, by name, shared by every API client the operator makes from it. */
const pools = new WeakMap<KubeConfig, Map<string, Dispatcher>>();

/**
 * The kubeconfig's authentication, but with one connection pool per kubeconfig: client-node 2.0 gives every request
 * a new undici Agent, so every API call paid a TLS handshake on both ends. That halved the store's write throughput,
 * and under a sync the controllers' handshakes were about 30 s of one profile, CPU the API server paid too. Headers
 * (bearer tokens, exec credentials) are still applied per request, so rotated tokens are picked up.
 */
export function reusingConnections(kc: KubeConfig, poolName = 'default') {
  return {
    getName: () => 'kubeconfig, connections reused',
    async applySecurityAuthentication(context: RequestContext): Promise<void> {
      await kc.applySecurityAuthentication(context);
      let named = pools.get(kc);
      if (!named) {
        named = new Map();
        pools.set(kc, named);
      }
      let pool = named.get(poolName);
      if (!pool) {
        pool = context.getDispatcher();
        if (pool) named.set(poolName, pool);
      }
      if (pool) context.setDispatcher(pool);
    },
  };
}

/**
 * `kc.makeApiClient(api)` with connections reused (`reusingConnections`); use it for every long-lived client.
 * `pool` names a separate pool, for a client that must not share connections with the rest (leader election).
 */
export function makeApiClient<T extends ApiType>(
  kc: KubeConfig,
  api: ApiConstructor<T>,
  options: { pool?: string } = {},
): T {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error('The kubeconfig has no current cluster');
  return new api(
    createConfiguration({
      baseServer: new ServerConfiguration(server, {}),
      authMethods: { default: reusingConnections(kc, options.pool) },
      middleware: [setHeaderMiddleware('User-Agent', 'scim-operator')],
    }),
  );
}
