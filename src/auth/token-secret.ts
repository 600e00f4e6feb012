import { CoreV1Api, type KubeConfig, type V1Secret } from '@kubernetes/client-node';
import { type Authenticate, tokenAuthenticator } from '../http/bearer-auth.ts';
import { type CachedInformer, createInformer } from '../runtime/informer.ts';

/**
 * Bearer tokens from one Kubernetes Secret. Every key is a valid token; the key names its connection, up to the
 * first dot (`entra`, `entra.2026-11` and `entra.old` all belong to connection `entra`). Rotation is: add a key,
 * switch the IdP to it, delete the old key. The Secret is watched, so a change takes effect within seconds.
 */
export function connectionOfKey(key: string): string {
  return key.split('.')[0] ?? key;
}

export function tokensOf(secret: V1Secret | undefined): { token: string; connection: string }[] {
  return Object.entries(secret?.data ?? {})
    .map(([key, value]) => ({
      token: Buffer.from(value, 'base64').toString('utf8').trim(),
      connection: connectionOfKey(key),
    }))
    .filter((t) => t.token.length > 0);
}

export interface TokenSource {
  authenticate: Authenticate;
  /** Connections and how many valid tokens each has. */
  connections(): Map<string, number>;
  hasSynced(): boolean;
  /** Seconds since the tokens were last rotated: the `scim-operator.dev/rotated-at` annotation, else the Secret's age. */
  ageSeconds(now?: Date): number | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function watchTokenSecret(
  kc: KubeConfig,
  ref: { namespace: string; name: string },
  onChange?: (connections: Map<string, number>) => void,
): TokenSource {
  const core = kc.makeApiClient(CoreV1Api);
  const fieldSelector = `metadata.name=${ref.name}`;
  const informer: CachedInformer<V1Secret> = createInformer<V1Secret>(
    kc,
    `/api/v1/namespaces/${ref.namespace}/secrets`,
    () => core.listNamespacedSecret({ namespace: ref.namespace, fieldSelector }),
    { name: 'token-secret', fieldSelector },
  );
  let current: Authenticate = () => undefined;
  let counts = new Map<string, number>();
  const refresh = () => {
    const tokens = tokensOf(informer.get(ref.name, ref.namespace));
    current = tokenAuthenticator(tokens);
    counts = new Map();
    for (const t of tokens) counts.set(t.connection, (counts.get(t.connection) ?? 0) + 1);
    onChange?.(counts);
  };
  for (const event of ['add', 'update', 'delete'] as const) informer.on(event, refresh);
  return {
    authenticate: (token) => current(token),
    connections: () => counts,
    hasSynced: () => informer.hasSynced(),
    ageSeconds(now = new Date()) {
      const secret = informer.get(ref.name, ref.namespace);
      const since =
        secret?.metadata?.annotations?.['scim-operator.dev/rotated-at'] ?? secret?.metadata?.creationTimestamp;
      const time = since ? new Date(since).getTime() : Number.NaN;
      return Number.isFinite(time) ? Math.max(0, (now.getTime() - time) / 1000) : undefined;
    },
    async start() {
      await informer.start();
      refresh();
    },
    stop: () => informer.stop(),
  };
}
