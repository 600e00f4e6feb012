import type { Clock } from './clock.ts';

/** A Clock over the global timers, so that vitest's fake timers drive the queue. */
export const fakeTimerClock: Clock = {
  now: () => Date.now(),
  date: () => new Date(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Resolves to the key, or 'pending' if `get()` has not resolved after the microtasks queued so far. */
export async function settled(p: Promise<string | undefined>): Promise<string | undefined | 'pending'> {
  return Promise.race([p, new Promise<'pending'>((r) => setImmediate(() => r('pending')))]);
}
