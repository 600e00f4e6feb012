import { CoreV1Api, type KubeConfig, type V1Secret } from '@kubernetes/client-node';
import { type Authenticate, tokenAuthenticator } from '../http/bearer-auth.ts';
import type { CachedInformer, InformerError } from '../runtime/informer.ts';
import { createInformer } from '../runtime/informer.ts';
import type { LoggerLike } from '../runtime/reconciler.ts';
import { unavailable } from '../scim/errors.ts';
import { type TokenProblem, tokensOf } from './token-keys.ts';

export { connectionOfKey, type TokenProblem, tokensOf } from './token-keys.ts';

/**
 * Bearer tokens from one Kubernetes Secret. Every key is a valid token; the key names its connection, up to the
 * first dot (`entra`, `entra.2026-11` and `entra.old` all belong to connection `entra`). Rotation is: add a key,
 * switch the IdP to it, delete the old key. The Secret is watched, so a change takes effect within seconds.
 *
 * While no token is usable — the Secret not listed yet, unreadable, missing or empty — `authenticate` throws a 503
 * with Retry-After instead of answering 401: the fault is the server's, and an IdP reads 401 as bad credentials
 * (Entra ID quarantines the job).
 */

/** `ok`: at least one usable token. The others say why there is none. */
export type TokenSecretState = 'unknown' | 'forbidden' | 'missing' | 'empty' | 'ok';
export const TOKEN_SECRET_STATES: readonly TokenSecretState[] = ['unknown', 'forbidden', 'missing', 'empty', 'ok'];

export interface TokenSource {
  authenticate: Authenticate;
  /** Connections and how many valid tokens each has. */
  connections(): Map<string, number>;
  hasSynced(): boolean;
  state(): TokenSecretState;
  /** Why there is no usable token, for /readyz; `undefined` in state `ok`. */
  problem(): string | undefined;
  /** Tokens below the entropy floor, by connection (accepted, but worth rotating). */
  weakTokens(): Map<string, number>;
  /** Seconds since the tokens were last rotated: the `scim-operator.dev/rotated-at` annotation, else the Secret's age. */
  ageSeconds(now?: Date): number | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface TokenSecretOptions {
  logger?: LoggerLike;
  onChange?: (connections: Map<string, number>) => void;
}

export function watchTokenSecret(
  kc: KubeConfig,
  ref: { namespace: string; name: string },
  options: TokenSecretOptions = {},
): TokenSource {
  const core = kc.makeApiClient(CoreV1Api);
  const fieldSelector = `metadata.name=${ref.name}`;
  const secretName = `${ref.namespace}/${ref.name}`;
  const logger = options.logger;
  const informer: CachedInformer<V1Secret> = createInformer<V1Secret>(
    kc,
    `/api/v1/namespaces/${ref.namespace}/secrets`,
    () => core.listNamespacedSecret({ namespace: ref.namespace, fieldSelector }),
    { name: `token Secret ${secretName}`, fieldSelector },
  );
  let current: Authenticate = () => undefined;
  let counts = new Map<string, number>();
  let weak = new Map<string, number>();
  let loggedState: TokenSecretState | undefined;
  let loggedProblems = '';

  const state = (): TokenSecretState => {
    if (!informer.hasSynced()) return informer.failure()?.reason.startsWith('403') ? 'forbidden' : 'unknown';
    const secret = informer.get(ref.name, ref.namespace);
    if (!secret) return 'missing';
    return counts.size > 0 ? 'ok' : 'empty';
  };
  const problem = (): string | undefined => {
    switch (state()) {
      case 'ok':
        return undefined;
      case 'unknown':
        return `token Secret ${secretName} not read yet${describe(informer.failure())}`;
      case 'forbidden':
        return `token Secret ${secretName} cannot be read: ${informer.failure()?.reason ?? 'forbidden'}`;
      case 'missing':
        return `token Secret ${secretName} does not exist`;
      case 'empty':
        return `token Secret ${secretName} has no usable token (no keys, only empty values, or only refused keys)`;
    }
  };
  const logState = () => {
    const now = state();
    if (now === loggedState) return;
    loggedState = now;
    if (now === 'ok') logger?.info({ secret: secretName, connections: [...counts.keys()] }, 'SCIM tokens loaded');
    else if (now !== 'unknown') logger?.error({ secret: secretName, state: now }, `SCIM tokens unusable: ${problem()}`);
  };
  const logProblems = (problems: TokenProblem[]) => {
    const summary = JSON.stringify(problems);
    if (summary === loggedProblems) return;
    loggedProblems = summary;
    for (const p of problems) {
      if (p.kind === 'invalid-connection') {
        logger?.error(
          { secret: secretName, key: p.key, connection: p.connection },
          `token key "${p.key}" refused: its connection "${p.connection}" (the key up to the first dot) is not a valid Kubernetes label value (at most 63 characters of [A-Za-z0-9_.-], starting and ending alphanumeric)`,
        );
      } else {
        logger?.warn(
          { secret: secretName, key: p.key, connection: p.connection, entropyBits: p.entropyBits },
          `token key "${p.key}" has about ${p.entropyBits} bits of entropy, below 256 (32 random bytes); accepted, but rotate it to a longer random token`,
        );
      }
    }
  };
  const refresh = () => {
    const { tokens, problems } = tokensOf(informer.get(ref.name, ref.namespace));
    current = tokenAuthenticator(tokens);
    counts = new Map();
    weak = new Map();
    for (const t of tokens) counts.set(t.connection, (counts.get(t.connection) ?? 0) + 1);
    for (const p of problems) if (p.kind === 'weak') weak.set(p.connection, (weak.get(p.connection) ?? 0) + 1);
    logProblems(problems);
    logState();
    options.onChange?.(counts);
  };
  for (const event of ['add', 'update', 'delete'] as const) informer.on(event, refresh);
  informer.onError(
    (err: InformerError, restartInMs) => {
      logger?.warn({ secret: secretName, server: err.server, cause: err.reason, restartInMs }, err.message);
      logState();
    },
    () => logger?.info({ secret: secretName }, 'token Secret readable again'),
  );

  return {
    authenticate(token) {
      if (counts.size === 0) {
        throw unavailable(`The SCIM endpoint is not ready: ${problem() ?? 'no usable token'}`, RETRY_AFTER_SECONDS);
      }
      return current(token);
    },
    connections: () => counts,
    hasSynced: () => informer.hasSynced(),
    state,
    problem,
    weakTokens: () => weak,
    ageSeconds(now = new Date()) {
      const secret = informer.get(ref.name, ref.namespace);
      const since =
        secret?.metadata?.annotations?.['scim-operator.dev/rotated-at'] ?? secret?.metadata?.creationTimestamp;
      const time = since ? new Date(since).getTime() : Number.NaN;
      return Number.isFinite(time) ? Math.max(0, (now.getTime() - time) / 1000) : undefined;
    },
    async start() {
      await informer.start();
      // A missing Secret fires no event: settle the state once the list has landed.
      void informer.whenSynced().then(refresh);
    },
    stop: () => informer.stop(),
  };
}

/** Entra ID retries a 503 with Retry-After; 10 s keeps a starting replica from being hammered. */
const RETRY_AFTER_SECONDS = 10;

function describe(failure: InformerError | undefined): string {
  return failure ? `: ${failure.reason}` : '';
}
