import {
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  ListWatch,
  Watch,
} from '@kubernetes/client-node';
import { describeError } from '../observability/error-cause.ts';
import { type Clock, systemClock } from './clock.ts';

/**
 * A list+watch cache of one kind that keeps going and tells the truth about itself.
 *
 * client-node's `ListWatch` reports a failed list or watch through its `error` callback and stops; its `start()`
 * resolves all the same. This informer:
 * - counts as synced only once a list has really completed (`hasSynced()`, fed into /readyz), and stays synced
 *   through later outages: the cache is stale then, not empty;
 * - restarts after a failure with exponential backoff from 500 ms to 30 s, reset once it has run a minute without
 *   failing;
 * - reports failures as an `InformerError` naming the API server and a one-line cause: on entering the failing state,
 *   when the cause changes, and at most once a minute while it stays the same; and reports recovery once.
 * Event handlers run inside the watch stream and must not throw; a throwing handler is caught and reported.
 *
 * It never restarts a running watch on a timer. client-node's `Watch` already ends a watch that has been silent for
 * 30 s and `ListWatch` resumes it from the last resourceVersion, and a 410 makes it list afresh; those cover a stalled
 * or expired watch. A timed restart (`stop()` then `start()` of the `ListWatch`) also races with it: the aborted
 * watch's `done` arrives after the new watch began and aborts that one, each abort reporting `AbortError` and
 * scheduling another restart. At 100,000 users that loop kept the member-shard cache failing for the whole run.
 *
 * Cached objects are slimmed as they enter (`slimForCache`): what `get`, `list` and every handler see has no
 * `metadata.managedFields` and no last-applied annotation. Writes built from a cached object therefore leave field
 * ownership as the API server has it (an update that omits managedFields keeps them).
 */
export interface CachedInformer<T> {
  readonly name: string;
  get(name: string, namespace?: string): T | undefined;
  list(): ReadonlyArray<T>;
  hasSynced(): boolean;
  /** Resolves once `hasSynced()` is true (at once if it is); never rejects. */
  whenSynced(): Promise<void>;
  /** Why the informer is not healthy right now, or `undefined` when its last list or watch succeeded. */
  failure(): InformerError | undefined;
  on(event: 'add' | 'update' | 'delete', handler: (obj: T) => void): void;
  /** Adds a reporter of failures (rate-limited as above) and recoveries, besides `options.onError`. */
  onError(handler: InformerErrorHandler, onRecovered?: () => void): void;
  /**
   * Starts listing and watching. Resolves when the first list has completed or the first attempt has failed (the
   * informer then keeps retrying on its own); never rejects.
   */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Resolves once the cache holds `name` at a resourceVersion at least `resourceVersion`, or after `timeoutMs`. */
  waitFor(name: string, resourceVersion: string, timeoutMs?: number): Promise<boolean>;
}

export type InformerErrorHandler = (err: InformerError, restartInMs: number) => void;

/** A failed list or watch: `message` is one line with the informer, the API server and the cause. */
export class InformerError extends Error {
  override name = 'InformerError';
  readonly informer: string;
  readonly server: string | undefined;
  /** The HTTP status or error code with its message, e.g. `403 Forbidden: secrets "x" is forbidden: ...`. */
  readonly reason: string;
  constructor(informer: string, server: string | undefined, cause: unknown) {
    const reason = describeError(cause);
    super(`list/watch of ${informer}${server ? ` at ${server}` : ''} failed: ${reason}`, { cause });
    this.informer = informer;
    this.server = server;
    this.reason = reason;
  }
}

/** The part of client-node's `ListWatch` this informer drives; tests inject a fake. */
export interface ListWatchLike<T extends KubernetesObject> {
  start(): Promise<void>;
  stop(): Promise<void>;
  on(verb: 'add' | 'update' | 'delete' | 'error', cb: (obj: T) => void): void;
  get(name: string, namespace?: string): T | undefined;
  list(): T[];
}

export interface InformerOptions<T extends KubernetesObject = KubernetesObject> {
  name: string;
  labelSelector?: string;
  fieldSelector?: string;
  onError?: (err: unknown, restartInMs: number) => void;
  /** Builds the list+watch; defaults to client-node's `ListWatch` over `list`. */
  listWatch?: (list: () => Promise<KubernetesListObject<T>>) => ListWatchLike<T>;
  clock?: Clock;
}

export const MIN_BACKOFF_MS = 500;
export const MAX_BACKOFF_MS = 30_000;
/** A failure after this long without one starts the backoff from the minimum again. */
export const BACKOFF_RESET_MS = 60_000;
/** While the cause stays the same, a failure is reported again at most this often. */
export const REPORT_EVERY_MS = 60_000;

export function createInformer<T extends KubernetesObject>(
  kc: KubeConfig,
  path: string,
  list: () => Promise<KubernetesListObject<T>>,
  options: InformerOptions<T>,
): CachedInformer<T> {
  const clock = options.clock ?? systemClock;
  const server = safeServer(kc);
  let synced = false;
  let stopped = true;
  let backoffMs = MIN_BACKOFF_MS;
  let lastFailureAt = Number.NEGATIVE_INFINITY;
  let current: InformerError | undefined;
  let lastReportAt = Number.NEGATIVE_INFINITY;
  let restartTimer: unknown;
  let attempts = 0;
  let failures = 0;
  let firstOutcome: (() => void) | undefined;
  const waiters = new Set<() => void>();
  const syncWaiters: Array<() => void> = [];
  const reporters: Array<{ failed: InformerErrorHandler; recovered?: () => void }> = [];
  if (options.onError) reporters.push({ failed: options.onError });

  const notify = () => {
    for (const w of waiters) w();
  };
  const markSynced = () => {
    if (synced || stopped) return;
    synced = true;
    firstOutcome?.();
    for (const resolve of syncWaiters.splice(0)) resolve();
    notify();
  };
  const recovered = () => {
    if (!current) return;
    current = undefined;
    for (const r of reporters) r.recovered?.();
  };
  // ListWatch applies the listed items synchronously after this promise settles and before its next await, so by
  // the next macrotask the cache holds the whole list.
  const listAndMark = async () => {
    const result = await list();
    setImmediate(() => {
      recovered();
      markSynced();
    });
    return result;
  };
  const inner =
    options.listWatch?.(listAndMark) ??
    new ListWatch<T>(path, new Watch(kc), listAndMark, false, options.labelSelector, options.fieldSelector);

  const guard = (handler: (obj: T) => void) => (obj: T) => {
    try {
      handler(obj);
    } catch (err) {
      options.onError?.(err, 0);
    }
  };

  function failed(err: unknown): void {
    if (stopped) return;
    failures++;
    firstOutcome?.();
    const now = clock.now();
    if (now - lastFailureAt >= BACKOFF_RESET_MS) backoffMs = MIN_BACKOFF_MS;
    lastFailureAt = now;
    const delay = backoffMs;
    backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
    const error = new InformerError(options.name, server, err);
    const changed = current?.reason !== error.reason;
    current = error;
    if (changed || now - lastReportAt >= REPORT_EVERY_MS) {
      lastReportAt = now;
      for (const r of reporters) r.failed(error, delay);
    }
    if (restartTimer !== undefined) clock.clearTimeout(restartTimer);
    restartTimer = clock.setTimeout(() => {
      restartTimer = undefined;
      void attempt();
    }, delay);
  }

  /** One start of the list+watch. A failure arrives through the `error` callback (or, rarely, a rejection). */
  async function attempt(): Promise<void> {
    if (stopped) return;
    const before = ++attempts;
    const failuresBefore = failures;
    try {
      await inner.start();
    } catch (err) {
      failed(err);
      return;
    }
    // The watch is established (start() returns once it is) and nothing failed on the way.
    if (!stopped && before === attempts && failures === failuresBefore) recovered();
  }

  // Registered before any other handler: ListWatch stores an object, then calls the handlers in order with that same
  // object, so it is slimmed in place before anyone else sees it, from a list and from a watch alike.
  inner.on('add', slimForCache);
  inner.on('update', slimForCache);
  inner.on('add', notify);
  inner.on('update', notify);
  inner.on('error', failed);

  const whenSynced = () => (synced ? Promise.resolve() : new Promise<void>((resolve) => syncWaiters.push(resolve)));

  return {
    name: options.name,
    get: (name, namespace) => inner.get(name, namespace),
    list: () => inner.list(),
    hasSynced: () => synced,
    whenSynced,
    failure: () => current,
    on: (event, handler) => inner.on(event, guard(handler)),
    onError(handler, onRecovered) {
      reporters.push({ failed: handler, recovered: onRecovered });
    },
    async start() {
      if (!stopped) return;
      stopped = false;
      // Restarted after stop(): the cache is filled already, and ListWatch resumes the watch without a new list.
      if (synced) void attempt();
      else {
        await new Promise<void>((resolve) => {
          firstOutcome = resolve;
          void attempt();
        });
        firstOutcome = undefined;
      }
    },
    async stop() {
      stopped = true;
      if (restartTimer !== undefined) clock.clearTimeout(restartTimer);
      restartTimer = undefined;
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

/**
 * One shared copy of each string value that repeats across cached objects: apiVersion and kind, short label values
 * (a connection, `managed-by`, a flag), owner references' apiVersion and kind, and conditions' type, status and
 * reason. JSON.parse makes a copy of every value per object; at 100,000 users the copies of a connection name,
 * `scim-operator` and a condition's three words cost ~12 MB. Not condition messages: they name the user (a heap
 * snapshot at 5,000 users found 5,000 distinct ones), so a table of them would fill with values nothing shares.
 * Bounded: once it holds `MAX_SHARED_STRINGS` values it shares those and keeps no new one, so values unique to each
 * object (an administrator's per-user label) cannot make it grow without end; they are merely not shared.
 */
const sharedStrings = new Map<string, string>();
export const MAX_SHARED_STRINGS = 10_000;
/** Longer label values are hashes and ids (40 and 36 characters): one per object, not worth a table entry. */
const MAX_SHARED_LABEL_LENGTH = 32;

function shared(value: string): string {
  const known = sharedStrings.get(value);
  if (known !== undefined) return known;
  if (sharedStrings.size < MAX_SHARED_STRINGS) sharedStrings.set(value, value);
  return value;
}

/** The annotation `kubectl apply` writes: a whole copy of the object as last applied, read by kubectl only. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

interface Condition {
  type?: unknown;
  status?: unknown;
  reason?: unknown;
}

/**
 * Drops, in place, what an informer's cache never needs and what often dominates an object's size:
 * `metadata.managedFields` (server-side field ownership: for a member shard, every member key once more) and the
 * last-applied annotation (a second copy of an object applied with kubectl); and shares one copy of each repeated
 * string value (`sharedStrings` above) among all objects. Values are replaced by equal strings, never changed, so a
 * write built from a cached object carries what the API server sent. Returns the same object.
 */
export function slimForCache<T extends KubernetesObject>(obj: T): T {
  if (obj.apiVersion !== undefined) obj.apiVersion = shared(obj.apiVersion);
  if (obj.kind !== undefined) obj.kind = shared(obj.kind);
  shareConditionStrings((obj as { status?: { conditions?: unknown } }).status?.conditions);
  const metadata = obj.metadata;
  if (!metadata) return obj;
  const labels = metadata.labels;
  if (labels !== undefined) {
    for (const key in labels) {
      const value = labels[key];
      if (typeof value === 'string' && value.length <= MAX_SHARED_LABEL_LENGTH) labels[key] = shared(value);
    }
  }
  for (const owner of metadata.ownerReferences ?? []) {
    if (typeof owner.apiVersion === 'string') owner.apiVersion = shared(owner.apiVersion);
    if (typeof owner.kind === 'string') owner.kind = shared(owner.kind);
  }
  const annotations = metadata.annotations;
  const lastApplied = annotations !== undefined && LAST_APPLIED_ANNOTATION in annotations;
  if (metadata.managedFields === undefined && !lastApplied) return obj;
  // Rebuilt rather than `delete`d: V8 turns an object that loses a property into a hash table several times larger.
  const { managedFields: _managedFields, ...kept } = metadata;
  if (lastApplied) {
    const { [LAST_APPLIED_ANNOTATION]: _applied, ...rest } = annotations;
    kept.annotations = Object.keys(rest).length > 0 ? rest : undefined;
  }
  obj.metadata = kept;
  return obj;
}

function shareConditionStrings(conditions: unknown): void {
  if (!Array.isArray(conditions)) return;
  for (const c of conditions as Condition[]) {
    if (typeof c !== 'object' || c === null) continue;
    if (typeof c.type === 'string') c.type = shared(c.type);
    if (typeof c.status === 'string') c.status = shared(c.status);
    if (typeof c.reason === 'string') c.reason = shared(c.reason);
  }
}

function safeServer(kc: KubeConfig): string | undefined {
  try {
    return kc.getCurrentCluster()?.server;
  } catch {
    return undefined;
  }
}

/**
 * The same informer, typed as the kind it watches. The one place a watched object's type is asserted: client-node
 * hands back parsed JSON that the API server has validated against the kind's schema, and informers built for
 * `KubernetesObject` (the store's, shared with the controllers) are narrowed here rather than cast at each read.
 */
export function informerOf<T>(informer: CachedInformer<KubernetesObject>): CachedInformer<T> {
  return informer as CachedInformer<T>;
}
