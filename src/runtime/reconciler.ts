/**
 * The reconcile contract. A reconcile gets only a key (`namespace/name`, or a small tagged type: runtime/queue-key.ts),
 * reads the current state itself and returns an intent; `Controller` is the one place that turns the intent into queue actions
 * and metrics (controller-runtime's `reconcileHandler`, kube-rs's `Action` + `error_policy`):
 *
 * | reconcile                           | queue                          | `controller_runtime_reconcile_total{result}` |
 * |-------------------------------------|--------------------------------|----------------------------------------------|
 * | resolves `done()` / `undefined`     | forget                         | `success`                                    |
 * | resolves `requeueAfter(ms)`         | forget, then addAfter(ms)      | `requeue_after`                              |
 * | `requeueAfter(ms, {urgent})`        | the same, urgent lane when due | `requeue_after`                              |
 * | throws `TerminalError`              | nothing: retrying won't help   | `error` (+ errors_total, terminal_errors)    |
 * | throws anything else                | addRateLimited (backoff)       | `error` (+ errors_total)                     |
 * | stops for `ReconcilePreemptedError` | forget; the urgent run is next | `requeue`                                    |
 */

/** Pino-compatible: a pino `Logger` satisfies it. */
export interface LoggerLike {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
  child?(bindings: Record<string, unknown>): LoggerLike;
}

// biome-ignore lint/suspicious/noConfusingVoidType: lets a reconcile that returns nothing (`async () => {}`) type-check as "done".
export type ReconcileResult = { requeueAfterMs: number; urgent?: boolean } | undefined | void;

export interface ReconcileContext {
  /** A UUID per reconcile, also bound into `logger`, to tie log lines of one run together. */
  reconcileId: string;
  /** Bound to `controller`, `key` and `reconcileId`. */
  logger: LoggerLike;
  /**
   * Aborted when the controller's per-reconcile timeout passes, when the controller stops (`ReconcileAbandonedError`),
   * or when an urgent change of the key arrives (`ReconcilePreemptedError`: stop before the next write that does not
   * take access away). Pass it to I/O that accepts one, and check it before each write.
   */
  signal: AbortSignal;
}

/** `K` is the controller's key type (runtime/queue-key.ts); the queue holds its text. */
export type Reconcile<K = string> = (key: K, context: ReconcileContext) => Promise<ReconcileResult>;

/**
 * Thrown by a reconcile when retrying will not help, e.g. an invalid spec: the key is not requeued until something
 * enqueues it again (a watch event or a periodic resync). Set a condition that explains why before throwing.
 */
export class TerminalError extends Error {
  override name = 'TerminalError';
}

/** True if `err` or any error in its `cause` chain is a `TerminalError` (Go's `errors.Is`). */
export function isTerminal(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 16; e = e.cause, depth++) {
    if (e instanceof TerminalError) return true;
  }
  return false;
}

/**
 * Look again after `ms` even if nothing changes: the polling safety net for state outside the cluster. `urgent`: the
 * next run takes access away (an expiry), so it takes the queue's urgent lane when it is due.
 */
export function requeueAfter(ms: number, options: { urgent?: boolean } = {}): ReconcileResult {
  return options.urgent ? { requeueAfterMs: ms, urgent: true } : { requeueAfterMs: ms };
}

/** Nothing to do until the object (or something mapped to its key) changes. */
export function done(): ReconcileResult {
  return undefined;
}
