import { unavailable } from '../scim/errors.ts';

export interface ConflictRetryOptions {
  /** Until when (epoch ms) to keep retrying; then the caller gets 503 with Retry-After. */
  deadline: number;
  /** Whether a failure is a lost optimistic-concurrency race, worth another attempt. */
  retryable: (err: unknown) => boolean;
  /** Names the object in the 503 detail. */
  subject: string;
  now?: () => number;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Waits `ms` on a timer: the default wait between attempts. */
export const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Backoff before attempt n+1: exponential from 10 ms, capped at 500 ms, with full jitter (AWS "full jitter"). */
const BASE_DELAY_MS = 10;
const MAX_DELAY_MS = 500;

/**
 * Runs `attempt` until it succeeds, retrying the failures `retryable` accepts after a jittered backoff, as long as
 * the deadline allows another try. Each attempt must re-read what it conditions its write on: a retry is a fresh
 * read-check-write, never a replay. Any other failure is rethrown at once.
 */
export async function retryConflicts<T>(attempt: (n: number) => Promise<T>, options: ConflictRetryOptions): Promise<T> {
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? pause;
  for (let n = 0; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      if (!options.retryable(err)) throw err;
      const delay = Math.floor(random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** n));
      if (now() + delay >= options.deadline) {
        throw unavailable(`${options.subject} is being changed concurrently; retry`, 1);
      }
      await sleep(delay);
    }
  }
}
