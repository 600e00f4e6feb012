/**
 * The one clock: everything that reads the time or sets a timer takes one, so tests can drive time without sleeps
 * (Kubebuilder's injected `Clock`).
 */
export interface Clock {
  /** Monotonic milliseconds, for durations and timers; never goes backwards. */
  now(): number;
  /** Wall-clock time, for what is written down or compared with written times (conditions, expiry, sync times). */
  date(): Date;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  date: () => new Date(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** A clock whose wall time is `date` and whose timers are the system's: for tests of pure time decisions. */
export function clockAt(date: () => Date): Clock {
  return { ...systemClock, date };
}
