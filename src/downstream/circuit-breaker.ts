/**
 * A per-app circuit breaker, so that an app that is down costs one probe per cooldown instead of one request per
 * account. Closed: requests pass. After `threshold` consecutive unhealthy failures it opens for a cooldown that
 * doubles on each reopening (up to `maxOpenMs`). A Retry-After from the service (429/503) also holds every request
 * until then. Once the hold ends, one trial request passes (half-open); its success closes the breaker.
 */
export interface BreakerOptions {
  threshold?: number;
  baseOpenMs?: number;
  maxOpenMs?: number;
  now?: () => number;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

export class CircuitBreaker {
  private readonly threshold: number;
  private readonly baseOpenMs: number;
  private readonly maxOpenMs: number;
  private readonly now: () => number;
  private failures = 0;
  private openings = 0;
  private heldUntil = 0;
  private trialInFlight = false;

  constructor(options: BreakerOptions = {}) {
    this.threshold = options.threshold ?? 5;
    this.baseOpenMs = options.baseOpenMs ?? 1000;
    this.maxOpenMs = options.maxOpenMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  state(): BreakerState {
    if (this.now() < this.heldUntil) return 'open';
    return this.failures >= this.threshold || this.openings > 0 ? 'half-open' : 'closed';
  }

  /** Milliseconds until a request may pass; 0 when one may pass now (and, half-open, it becomes the trial). */
  acquire(): number {
    const wait = this.heldUntil - this.now();
    if (wait > 0) return wait;
    if (this.state() === 'half-open') {
      if (this.trialInFlight) return this.baseOpenMs;
      this.trialInFlight = true;
    }
    return 0;
  }

  success(): void {
    this.failures = 0;
    this.openings = 0;
    this.trialInFlight = false;
  }

  /** An unhealthy failure (unreachable, timeout, 5xx). */
  failure(): void {
    this.failures++;
    const trial = this.trialInFlight;
    this.trialInFlight = false;
    if (this.failures >= this.threshold || trial) {
      const openMs = Math.min(this.baseOpenMs * 2 ** this.openings, this.maxOpenMs);
      this.openings++;
      this.hold(openMs);
    }
  }

  /** The service asked for a pause (Retry-After): nobody calls it before then. */
  hold(ms: number): void {
    this.trialInFlight = false;
    this.heldUntil = Math.max(this.heldUntil, this.now() + ms);
  }

  /** A request that ended neither healthy nor unhealthy (e.g. 404) still ends a trial. */
  release(): void {
    this.trialInFlight = false;
  }
}
