/**
 * Rate and concurrency limits of one app: a token bucket (`ratePerSecond`, `burst`) and at most `maxConcurrent`
 * requests in flight. `run` waits for both, in arrival order.
 */
export class RequestLimiter {
  private ratePerSecond: number;
  private burst: number;
  private maxConcurrent: number;
  private tokens: number;
  private refilledAt: number;
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(options: { ratePerSecond: number; burst: number; maxConcurrent: number; now?: () => number }) {
    this.now = options.now ?? Date.now;
    this.ratePerSecond = options.ratePerSecond;
    this.burst = options.burst;
    this.maxConcurrent = options.maxConcurrent;
    this.tokens = options.burst;
    this.refilledAt = this.now();
  }

  configure(options: { ratePerSecond: number; burst: number; maxConcurrent: number }): void {
    this.ratePerSecond = options.ratePerSecond;
    this.burst = options.burst;
    this.maxConcurrent = options.maxConcurrent;
    this.tokens = Math.min(this.tokens, this.burst);
    this.pump();
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    await new Promise<void>((resolve) => {
      this.waiting.push(resolve);
      this.pump();
    });
    try {
      return await fn();
    } finally {
      this.inFlight--;
      this.pump();
    }
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAt) / 1000) * this.ratePerSecond);
    this.refilledAt = now;
  }

  private pump(): void {
    this.refill();
    while (this.waiting.length > 0 && this.inFlight < this.maxConcurrent && this.tokens >= 1) {
      this.tokens--;
      this.inFlight++;
      this.waiting.shift()!();
    }
    if (this.waiting.length > 0 && this.inFlight < this.maxConcurrent && this.timer === undefined) {
      const waitMs = Math.ceil(((1 - this.tokens) / this.ratePerSecond) * 1000);
      this.timer = setTimeout(
        () => {
          this.timer = undefined;
          this.pump();
        },
        Math.max(1, waitMs),
      );
    }
  }
}
