import { type Clock, systemClock } from './clock.ts';

/**
 * client-go's work queue for string keys: de-duplicating, delaying and rate-limited in one.
 *
 * - `add` of a key that is already waiting is a no-op; adding a key that a worker holds marks it dirty and hands it
 *   out again on `done`, so **one key is never processed by two workers at once** and many adds during processing
 *   collapse into one re-run.
 * - `addAfter` keeps the **earlier** ready time when a key is already waiting.
 * - `addRateLimited` waits `rateLimiter.when(key)`, which grows per key until `forget(key)`.
 * - Two lanes (docs/adr/0022-revocation-first.md): `addUrgent` puts a key in the urgent lane, which `get` drains
 *   before the ordinary one; a key already waiting in the ordinary lane or for a delay moves up, and one a worker holds
 *   goes to the urgent lane on `done`. `addCoalesced(key, windowMs)` hands a key out at most once per `windowMs`
 *   (counted from when a worker last got it): within the window it waits for the window's end instead. An urgent add
 *   is never delayed by a coalesced one.
 * - Preemption (docs/adr/0024-preemptible-reconciles.md): an urgent add of a key a worker holds calls `onPreempt(key)`,
 *   so the holder can stop at its next safe point; the key still waits for `done` (never two workers on one key) and
 *   then runs next from the urgent lane.
 *
 * One departure from client-go: after `shutDown()` queued keys are dropped and `get()` resolves `undefined` at once
 * rather than handing out the rest. Reconcile is level-triggered, so the next leader relists and finds them again.
 */

/** Hooks for the `workqueue_*` metrics; durations in seconds. */
export interface WorkQueueMetrics {
  depth(n: number): void;
  added(): void;
  queueDuration(seconds: number): void;
  workDuration(seconds: number): void;
  retried(): void;
  /** Called once; the metrics side reads the probe at scrape time, as client-go's 500 ms updater would. */
  trackUnfinishedWork(probe: () => { unfinishedSeconds: number; longestRunningSeconds: number }): void;
}

export interface RateLimiter {
  /** The delay before the next retry of `key`; counts the failure. */
  when(key: string): number;
  forget(key: string): void;
  numRequeues(key: string): number;
}

/** Per-key `baseMs × 2^failures`, capped at `maxMs` (client-go's ItemExponentialFailureRateLimiter). */
export function exponentialRateLimiter({ baseMs = 5, maxMs = 5 * 60_000 } = {}): RateLimiter {
  const failures = new Map<string, number>();
  return {
    when(key) {
      const n = failures.get(key) ?? 0;
      failures.set(key, n + 1);
      return Math.min(baseMs * 2 ** n, maxMs);
    },
    forget: (key) => void failures.delete(key),
    numRequeues: (key) => failures.get(key) ?? 0,
  };
}

export interface WorkQueueOptions {
  clock?: Clock;
  rateLimiter?: RateLimiter;
  metrics?: WorkQueueMetrics;
  /** Called when a key a worker holds is added to the urgent lane: its run may stop early, the next one is urgent. */
  onPreempt?: (key: string) => void;
}

export class WorkQueue {
  readonly #clock: Clock;
  readonly #limiter: RateLimiter;
  readonly #metrics: WorkQueueMetrics | undefined;
  readonly #onPreempt: ((key: string) => void) | undefined;
  /** Ready keys in FIFO order; a Set keeps insertion order and gives O(1) delete. */
  readonly #queue = new Set<string>();
  /** Ready keys that carry a revocation, handed out before any key of `#queue`. */
  readonly #urgent = new Set<string>();
  /** Keys waiting or held whose next run is urgent. */
  readonly #urgentDirty = new Set<string>();
  /** When a worker last got each key ever added with `addCoalesced` (monotonic ms). */
  readonly #lastHandedOut = new Map<string, number>();
  /** Keys that need processing, with the time they were added (for queue duration). */
  readonly #dirty = new Map<string, number>();
  /** Keys a worker holds, with the time it got them. */
  readonly #processing = new Map<string, number>();
  readonly #waiting = new Map<string, { readyAt: number; urgent: boolean; timer: unknown }>();
  readonly #getters: Array<{ resolve: (key: string | undefined) => void; urgentOnly: boolean }> = [];
  readonly #drainWaiters: Array<() => void> = [];
  #shuttingDown = false;

  constructor(options: WorkQueueOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#limiter = options.rateLimiter ?? exponentialRateLimiter();
    this.#metrics = options.metrics;
    this.#onPreempt = options.onPreempt;
    this.#metrics?.trackUnfinishedWork(() => this.#unfinishedWork());
  }

  add(key: string): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#metrics?.added();
    this.#dirty.set(key, this.#clock.now());
    if (this.#processing.has(key)) return;
    this.#push(key);
  }

  /**
   * Like `add`, in the urgent lane: for a key whose next run takes access away, which must not wait behind work that
   * only grants it.
   */
  addUrgent(key: string): void {
    if (this.#shuttingDown) return;
    if (this.#queue.has(key)) {
      this.#queue.delete(key);
      this.#urgent.add(key);
      const index = this.#getters.findIndex((g) => g.urgentOnly);
      if (index >= 0) this.#getters.splice(index, 1)[0]!.resolve(this.#pop());
      return;
    }
    if (this.#urgent.has(key)) return;
    // Held by a worker: `done` pushes it to the urgent lane. Waiting for a delay: it is ready now.
    this.#urgentDirty.add(key);
    this.add(key);
    if (this.#processing.has(key)) this.#onPreempt?.(key);
  }

  /**
   * Like `add`, but a key a worker got less than `windowMs` ago waits until the window has passed (one timer,
   * however many adds): for work that only grants, where one run per window serves every change in it.
   */
  addCoalesced(key: string, windowMs: number): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    const last = this.#lastHandedOut.get(key);
    if (last === undefined) this.#lastHandedOut.set(key, Number.NEGATIVE_INFINITY);
    const dueInMs = last === undefined ? 0 : last + windowMs - this.#clock.now();
    if (dueInMs > 0) this.#delay(key, dueInMs);
    else this.add(key);
  }

  /** `urgent`: when due, the key takes the urgent lane (e.g. the expiry of a grant). */
  addAfter(key: string, ms: number, options: { urgent?: boolean } = {}): void {
    if (this.#shuttingDown) return;
    this.#metrics?.retried();
    this.#delay(key, ms, options.urgent === true);
  }

  #delay(key: string, ms: number, urgent = false): void {
    if (!(ms > 0)) {
      if (urgent) this.addUrgent(key);
      else this.add(key);
      return;
    }
    const readyAt = this.#clock.now() + ms;
    const waiting = this.#waiting.get(key);
    if (waiting) {
      // One timer per key, the earlier; the run it starts reads everything, so it inherits the other's urgency.
      if (waiting.readyAt <= readyAt) {
        waiting.urgent ||= urgent;
        return;
      }
      this.#clock.clearTimeout(waiting.timer);
    }
    const entry = { readyAt, urgent: urgent || waiting?.urgent === true, timer: undefined as unknown };
    entry.timer = this.#clock.setTimeout(() => {
      this.#waiting.delete(key);
      if (entry.urgent) this.addUrgent(key);
      else this.add(key);
    }, ms);
    this.#waiting.set(key, entry);
  }

  addRateLimited(key: string): void {
    this.addAfter(key, this.#limiter.when(key));
  }

  forget(key: string): void {
    this.#limiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.#limiter.numRequeues(key);
  }

  /** The next ready key, marked as processing until `done(key)`; `undefined` once the queue is shut down. */
  get(): Promise<string | undefined> {
    if (this.#shuttingDown) return Promise.resolve(undefined);
    const key = this.#pop();
    if (key !== undefined) return Promise.resolve(key);
    return new Promise((resolve) => this.#getters.push({ resolve, urgentOnly: false }));
  }

  /**
   * Like `get`, but only for keys of the urgent lane: a worker kept for revocations, so one never waits for a worker
   * busy with grant work (the key itself may still be held by another worker, and then waits for it).
   */
  getUrgent(): Promise<string | undefined> {
    if (this.#shuttingDown) return Promise.resolve(undefined);
    if (this.#urgent.size > 0) return Promise.resolve(this.#pop());
    return new Promise((resolve) => this.#getters.push({ resolve, urgentOnly: true }));
  }

  done(key: string): void {
    const started = this.#processing.get(key);
    if (started === undefined) return;
    this.#processing.delete(key);
    this.#metrics?.workDuration((this.#clock.now() - started) / 1000);
    if (this.#dirty.has(key) && !this.#shuttingDown) this.#push(key);
    if (this.#processing.size === 0) for (const resolve of this.#drainWaiters.splice(0)) resolve();
  }

  /** Ready keys, not counting those being processed or waiting for a delay. */
  len(): number {
    return this.#queue.size + this.#urgent.size;
  }

  shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** Stops handing out keys: waiting `get()` calls resolve `undefined`, adds are ignored, delays are cancelled. */
  shutDown(): void {
    if (this.#shuttingDown) return;
    this.#shuttingDown = true;
    for (const { timer } of this.#waiting.values()) this.#clock.clearTimeout(timer);
    this.#waiting.clear();
    this.#queue.clear();
    this.#urgent.clear();
    this.#urgentDirty.clear();
    this.#dirty.clear();
    this.#metrics?.depth(0);
    for (const { resolve } of this.#getters.splice(0)) resolve(undefined);
  }

  /** `shutDown()`, then resolves once every key handed out has been marked `done`. */
  shutDownWithDrain(): Promise<void> {
    this.shutDown();
    if (this.#processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  #push(key: string): void {
    const urgent = this.#urgentDirty.delete(key);
    if (urgent) this.#urgent.add(key);
    else this.#queue.add(key);
    // An urgent key wakes a worker kept for urgent keys first, leaving the others to ordinary work.
    let index = urgent ? this.#getters.findIndex((g) => g.urgentOnly) : -1;
    if (index < 0) index = this.#getters.findIndex((g) => !g.urgentOnly);
    if (index >= 0) this.#getters.splice(index, 1)[0]!.resolve(this.#pop());
    else this.#metrics?.depth(this.len());
  }

  #pop(): string | undefined {
    const lane = this.#urgent.size > 0 ? this.#urgent : this.#queue;
    const next = lane.values().next();
    if (next.done) return undefined;
    const key = next.value;
    lane.delete(key);
    this.#metrics?.depth(this.len());
    const now = this.#clock.now();
    if (this.#lastHandedOut.has(key)) this.#lastHandedOut.set(key, now);
    this.#metrics?.queueDuration((now - (this.#dirty.get(key) ?? now)) / 1000);
    this.#dirty.delete(key);
    this.#processing.set(key, now);
    return key;
  }

  #unfinishedWork(): { unfinishedSeconds: number; longestRunningSeconds: number } {
    const now = this.#clock.now();
    let unfinished = 0;
    let longest = 0;
    for (const started of this.#processing.values()) {
      unfinished += now - started;
      longest = Math.max(longest, now - started);
    }
    return { unfinishedSeconds: unfinished / 1000, longestRunningSeconds: longest / 1000 };
  }
}
