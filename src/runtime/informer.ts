import {
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  ListWatch,
  Watch,
} from '@kubernetes/client-node';

/**
 * A list+watch cache of one kind that keeps going. client-node's informer stops on any error other than 410;
 * this one restarts it with capped exponential backoff, relists periodically as a safety net against silent watch
 * stalls, and reports `hasSynced()` once the first list has completed (fed into /readyz).
 * Event handlers run inside the watch stream and must not throw; a throwing handler is caught and reported.
 */
export interface CachedInformer<T extends KubernetesObject> {
  get(name: string, namespace?: string): T | undefined;
  list(): ReadonlyArray<T>;
  hasSynced(): boolean;
  on(event: 'add' | 'update' | 'delete', handler: (obj: T) => void): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Resolves once the cache holds `name` at a resourceVersion at least `resourceVersion`, or after `timeoutMs`. */
  waitFor(name: string, resourceVersion: string, timeoutMs?: number): Promise<boolean>;
}

export interface InformerOptions {
  name: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Full relist period; defaults to 10 minutes. */
  resyncMs?: number;
  onError?: (err: unknown, restartInMs: number) => void;
}

const MIN_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30_000;

export function createInformer<T extends KubernetesObject>(
  kc: KubeConfig,
  path: string,
  list: () => Promise<KubernetesListObject<T>>,
  options: InformerOptions,
): CachedInformer<T> {
  const inner = new ListWatch<T>(path, new Watch(kc), list, false, options.labelSelector, options.fieldSelector);
  let synced = false;
  let stopped = true;
  let backoffMs = MIN_BACKOFF_MS;
  let restartTimer: NodeJS.Timeout | undefined;
  let resyncTimer: NodeJS.Timeout | undefined;
  const waiters = new Set<() => void>();

  const notify = () => {
    for (const w of waiters) w();
  };
  const guard = (handler: (obj: T) => void) => (obj: T) => {
    try {
      handler(obj);
    } catch (err) {
      options.onError?.(err, 0);
    }
  };
  inner.on('add', notify);
  inner.on('update', notify);
  inner.on('connect', () => {
    backoffMs = MIN_BACKOFF_MS;
  });
  inner.on('error', (err: unknown) => {
    if (stopped) return;
    const delay = backoffMs;
    backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
    options.onError?.(err, delay);
    restartTimer = setTimeout(() => {
      inner.start().catch(() => {
        // A failed start emits 'error' again, which schedules the next attempt.
      });
    }, delay);
  });

  async function relist() {
    if (stopped) return;
    await inner.stop();
    await inner.start().catch(() => {});
  }

  return {
    get: (name, namespace) => inner.get(name, namespace),
    list: () => inner.list(),
    hasSynced: () => synced,
    on: (event, handler) => inner.on(event, guard(handler)),
    async start() {
      stopped = false;
      for (let attempt = 0; ; attempt++) {
        try {
          await inner.start();
          break;
        } catch (err) {
          const delay = Math.min(MIN_BACKOFF_MS * 2 ** attempt, MAX_BACKOFF_MS);
          options.onError?.(err, delay);
          await new Promise((r) => setTimeout(r, delay));
          if (stopped) return;
        }
      }
      synced = true;
      notify();
      const resyncMs = options.resyncMs ?? 10 * 60_000;
      resyncTimer = setInterval(() => void relist(), resyncMs);
      resyncTimer.unref();
    },
    async stop() {
      stopped = true;
      clearTimeout(restartTimer);
      clearInterval(resyncTimer);
      await inner.stop();
    },
    waitFor(name, resourceVersion, timeoutMs = 5000) {
      const target = BigInt(resourceVersion);
      const fresh = () => {
        const rv = inner.get(name)?.metadata?.resourceVersion;
        return rv !== undefined && BigInt(rv) >= target;
      };
      if (fresh()) return Promise.resolve(true);
      return new Promise((resolve) => {
        const check = () => {
          if (!fresh()) return;
          cleanup();
          resolve(true);
        };
        const timer = setTimeout(() => {
          cleanup();
          resolve(false);
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
      });
    },
  };
}
