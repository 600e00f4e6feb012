import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from './circuit-breaker.ts';
import { parseRetryAfter } from './retry-after.ts';

describe('CircuitBreaker', () => {
  it('opens after the threshold, lets one trial through after the cooldown, and doubles the cooldown on failure', () => {
    let now = 0;
    const breaker = new CircuitBreaker({ threshold: 3, baseOpenMs: 1000, now: () => now });
    for (let i = 0; i < 3; i++) {
      expect(breaker.acquire()).toBe(0);
      breaker.failure();
    }
    expect(breaker.acquire()).toBe(1000);
    now = 1000;
    expect(breaker.acquire()).toBe(0);
    expect(breaker.acquire()).toBeGreaterThan(0);
    breaker.failure();
    expect(breaker.acquire()).toBe(2000);
    now = 3000;
    expect(breaker.acquire()).toBe(0);
    breaker.success();
    expect(breaker.state()).toBe('closed');
  });

  it('holds every request for a Retry-After', () => {
    let now = 0;
    const breaker = new CircuitBreaker({ now: () => now });
    breaker.hold(2000);
    expect(breaker.acquire()).toBe(2000);
    now = 2000;
    expect(breaker.acquire()).toBe(0);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates, and ignores garbage', () => {
    const now = Date.parse('2026-11-29T00:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Sun, 29 Nov 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('99999', now)).toBe(600_000);
  });
});
