import { DownstreamError } from '../../downstream/errors.ts';
import { type ReconcileResult, requeueAfter, TerminalError } from '../../runtime/reconciler.ts';

/**
 * What a user's failed account syncs ask of the controller (runtime/controller.ts decides what that means for the
 * queue): nothing when none failed; a look after the app's own Retry-After when every failure came with one; a
 * `TerminalError` when no failure is retryable (a 400 or 409 answers the same request the same way: it waits for a
 * change, not for a backoff); otherwise an error, retried with backoff.
 */
export function syncOutcome(userName: string, failures: readonly DownstreamError[]): ReconcileResult {
  if (failures.length === 0) return;
  if (failures.every((f) => f.retryAfterMs !== undefined))
    return requeueAfter(Math.max(100, Math.min(...failures.map((f) => f.retryAfterMs ?? 0))));
  const message = `${failures.length} account(s) of ${userName} not in sync: ${failures[0]!.summary()}`;
  if (failures.every((f) => !f.retryable)) throw new TerminalError(message, { cause: failures[0] });
  throw new Error(message, { cause: failures.find((f) => f.retryable) });
}

/** Only downstream answers are the app's to report; anything else is ours and propagates. */
export function asDownstreamError(err: unknown): DownstreamError {
  if (err instanceof DownstreamError) return err;
  throw err;
}
