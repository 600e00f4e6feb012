import { randomUUID } from 'node:crypto';
import { type Clock, systemClock } from './clock.ts';
import type { KeyCodec } from './queue-key.ts';
import { isTerminal, type LoggerLike, type Reconcile, type ReconcileResult } from './reconciler.ts';
import { type RateLimiter, WorkQueue, type WorkQueueMetrics } from './work-queue.ts';

export type ReconcileOutcome = 'success' | 'error' | 'requeue' | 'requeue_after';

/** Hooks for the `controller_runtime_*` metrics of one controller. */
export interface ReconcileMetrics {
  maxConcurrentReconciles(n: number): void;
  activeWorkers(delta: number): void;
  reconciled(outcome: ReconcileOutcome, seconds: number): void;
  errored(kind: { terminal: boolean; panic: boolean; timedOut: boolean }): void;
}

export interface ControllerMetricHooks {
  queue: WorkQueueMetrics;
  reconcile: ReconcileMetrics;
}

/** What `Controller` needs from `ControllerMetrics` (src/observability/controller-metrics.ts). */
export interface ControllerMetricsSource {
  forController(name: string): ControllerMetricHooks;
}

export interface ControllerOptions<K> {
  name: string;
  /** How keys go into the queue (which de-duplicates their text) and come back out (runtime/queue-key.ts). */
  keys: KeyCodec<K>;
  reconcile: Reconcile<K>;
  logger: LoggerLike;
  /** Concurrent reconciles (controller-runtime's MaxConcurrentReconciles); never two for one key. Default 1. */
  workers?: number;
  /**
   * Workers beside `workers` that take only urgent keys (`enqueueUrgent`), so a revocation never waits for a worker
   * busy with grant work. Default 0.
   */
  urgentWorkers?: number;
  metrics?: ControllerMetricsSource;
  /** Backoff for failed keys; default per-key exponential 5 ms .. 5 min. */
  rateLimiter?: RateLimiter;
  /**
   * Aborts the reconcile's `signal` after this long. A reconcile that ignores the signal keeps its worker and its key
   * until it settles, as a Go reconciler that ignores its context does; a rejection after the deadline counts as a
   * timeout.
   */
  reconcileTimeoutMs?: number;
  clock?: Clock;
}

/**
 * Runs `reconcile` for enqueued keys on `workers` async workers. Keys can be enqueued before `start()` (informers run
 * on every replica; workers only on the leader), and the queue keeps them de-duplicated until then. `stop()` then
 * `start()` runs the workers again (a replica that lost the Lease and won it back): keys queued at the stop are
 * dropped, so the caller enqueues everything again (level-triggered, as a new leader does).
 */
export class Controller<K = string> {
  readonly name: string;
  readonly #options: ControllerOptions<K>;
  #queue: WorkQueue;
  readonly #metrics: ReconcileMetrics | undefined;
  readonly #queueMetrics: WorkQueueMetrics | undefined;
  readonly #clock: Clock;
  #workers: Promise<void>[] = [];
  readonly #inFlight = new Set<AbortController>();
  /** The in-flight reconcile of each key, so an urgent add can preempt it (WorkQueueOptions.onPreempt). */
  readonly #inFlightByKey = new Map<string, AbortController>();

  constructor(options: ControllerOptions<K>) {
    this.name = options.name;
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    const hooks = options.metrics?.forController(options.name);
    this.#metrics = hooks?.reconcile;
    this.#queueMetrics = hooks?.queue;
    this.#queue = this.#newQueue();
    this.#metrics?.maxConcurrentReconciles(this.#workerCount() + (options.urgentWorkers ?? 0));
  }

  enqueue(key: K): void {
    this.#queue.add(this.#options.keys.format(key));
  }

  /** For a key whose next reconcile takes access away: handed out before ordinary keys (WorkQueue.addUrgent). */
  enqueueUrgent(key: K): void {
    this.#queue.addUrgent(this.#options.keys.format(key));
  }

  /** For a key whose pending change only grants: reconciled at most once per `windowMs` (WorkQueue.addCoalesced). */
  enqueueCoalesced(key: K, windowMs: number): void {
    this.#queue.addCoalesced(this.#options.keys.format(key), windowMs);
  }

  enqueueAfter(key: K, ms: number): void {
    this.#queue.addAfter(this.#options.keys.format(key), ms);
  }

  start(): void {
    if (this.#workers.length > 0 || this.#queue.shuttingDown()) return;
    for (let i = 0; i < this.#workerCount(); i++) this.#workers.push(this.#work());
    for (let i = 0; i < (this.#options.urgentWorkers ?? 0); i++) this.#workers.push(this.#work({ urgentOnly: true }));
  }

  /**
   * Stops handing out keys, waits for in-flight reconciles to finish, then for the workers to exit; afterwards
   * `start()` may run them again. With `abandon`, in-flight reconciles first see their `signal` aborted with a
   * `ReconcileAbandonedError`: one that checks it before each write stops before the next write starts.
   */
  async stop(options: { abandon?: boolean } = {}): Promise<void> {
    const queue = this.#queue;
    const drained = queue.shutDownWithDrain();
    if (options.abandon) for (const abort of this.#inFlight) abort.abort(new ReconcileAbandonedError());
    await drained;
    await Promise.all(this.#workers);
    this.#workers = [];
    if (this.#queue === queue) this.#queue = this.#newQueue();
  }

  #newQueue(): WorkQueue {
    return new WorkQueue({
      clock: this.#clock,
      rateLimiter: this.#options.rateLimiter,
      metrics: this.#queueMetrics,
      onPreempt: (key) => this.#inFlightByKey.get(key)?.abort(new ReconcilePreemptedError()),
    });
  }

  #workerCount(): number {
    return Math.max(1, this.#options.workers ?? 1);
  }

  async #work({ urgentOnly = false } = {}): Promise<void> {
    const queue = this.#queue;
    const next = () => (urgentOnly ? queue.getUrgent() : queue.get());
    for (let key = await next(); key !== undefined; key = await next()) {
      this.#metrics?.activeWorkers(1);
      try {
        await this.#reconcileHandler(queue, key);
      } finally {
        queue.done(key);
        this.#metrics?.activeWorkers(-1);
      }
    }
  }

  /** The one place a reconcile's outcome becomes queue actions, metrics and a log line. */
  async #reconcileHandler(queue: WorkQueue, key: string): Promise<void> {
    const reconcileId = randomUUID();
    const logger = bind(this.#options.logger, { controller: this.name, key, reconcileId });
    const started = this.#clock.now();
    const seconds = () => (this.#clock.now() - started) / 1000;
    const abort = new AbortController();
    const timeoutMs = this.#options.reconcileTimeoutMs;
    const timer = timeoutMs
      ? this.#clock.setTimeout(() => abort.abort(new ReconcileTimeoutError(timeoutMs)), timeoutMs)
      : undefined;
    let result: ReconcileResult;
    this.#inFlight.add(abort);
    this.#inFlightByKey.set(key, abort);
    try {
      const parsed = this.#options.keys.parse(key);
      result = await this.#options.reconcile(parsed, { reconcileId, logger, signal: abort.signal });
    } catch (err) {
      if (abort.signal.reason instanceof ReconcileAbandonedError) {
        logger.info({ err }, 'Reconcile abandoned: the controller is stopping');
        return;
      }
      if (abort.signal.reason instanceof ReconcilePreemptedError) {
        // The queue already holds the key for an urgent run, which starts when this worker lets go of it.
        queue.forget(key);
        this.#metrics?.reconciled('requeue', seconds());
        logger.debug({ err }, 'Reconcile preempted by an urgent change of its key');
        return;
      }
      const terminal = isTerminal(err);
      const panic = !terminal && isPanic(err);
      this.#metrics?.errored({ terminal, panic, timedOut: abort.signal.reason instanceof ReconcileTimeoutError });
      this.#metrics?.reconciled('error', seconds());
      if (!terminal) queue.addRateLimited(key);
      logger.error({ err, terminal, panic }, panic ? 'Observed a panic in reconciler' : 'Reconciler error');
      return;
    } finally {
      this.#inFlight.delete(abort);
      this.#inFlightByKey.delete(key);
      if (timer !== undefined) this.#clock.clearTimeout(timer);
    }
    const requeueAfterMs = result?.requeueAfterMs ?? 0;
    queue.forget(key);
    if (requeueAfterMs > 0) {
      queue.addAfter(key, requeueAfterMs, { urgent: result?.urgent === true });
      this.#metrics?.reconciled('requeue_after', seconds());
    } else {
      this.#metrics?.reconciled('success', seconds());
    }
    logger.debug({ requeueAfterMs }, 'Reconcile done');
  }
}

/** The reason of a reconcile's `signal` when the controller stops under it (leadership lost). */
export class ReconcileAbandonedError extends Error {
  override name = 'ReconcileAbandonedError';
  constructor() {
    super('the controller stopped (leadership lost): abandon before the next write');
  }
}

/**
 * The reason of a reconcile's `signal` when an urgent change of its key arrives (a revocation during a grant run):
 * stop at the next safe point and let the urgent run start. Writes that revoke may go ahead; the run after it reads
 * everything again, so whatever this one left undone is done there (docs/adr/0024-preemptible-reconciles.md).
 */
export class ReconcilePreemptedError extends Error {
  override name = 'ReconcilePreemptedError';
  constructor() {
    super('an urgent change of this key arrived: stop before the next write that only grants');
  }
}

export class ReconcileTimeoutError extends Error {
  override name = 'ReconcileTimeoutError';
  constructor(ms: number) {
    super(`reconcile did not finish within ${ms} ms`);
  }
}

/**
 * Go's panics have no direct JS equivalent; these are the throws that mean a bug rather than a failed call: a thrown
 * non-Error, and the engine's own faults. A TypeError with a `cause` is excluded because undici reports network
 * failures as `TypeError('fetch failed', { cause })`.
 */
export function isPanic(err: unknown): boolean {
  if (!(err instanceof Error)) return true;
  if (err instanceof TypeError) return err.cause === undefined;
  return err instanceof ReferenceError || err instanceof RangeError;
}

function bind(logger: LoggerLike, bindings: Record<string, unknown>): LoggerLike {
  if (logger.child) return logger.child(bindings);
  const withBindings = (log: (obj: object, msg?: string) => void) => (obj: object, msg?: string) =>
    log.call(logger, { ...bindings, ...obj }, msg);
  return {
    info: withBindings(logger.info),
    warn: withBindings(logger.warn),
    error: withBindings(logger.error),
    debug: withBindings(logger.debug),
  };
}
