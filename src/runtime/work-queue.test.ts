import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeTimerClock, settled } from './work-queue.test-support.ts';
import { exponentialRateLimiter, WorkQueue, type WorkQueueMetrics } from './work-queue.ts';

describe('WorkQueue', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  const queue = (options: ConstructorParameters<typeof WorkQueue>[0] = {}) =>
    new WorkQueue({ clock: fakeTimerClock, ...options });

  it('hands out keys in the order they were first added', async () => {
    const q = queue();
    for (const key of ['b', 'a', 'c', 'a']) q.add(key);
    expect(q.len()).toBe(3);
    expect([await q.get(), await q.get(), await q.get()]).toEqual(['b', 'a', 'c']);
  });

  it('never hands the same key to two workers at once', async () => {
    const q = queue();
    q.add('a');
    expect(await q.get()).toBe('a');
    q.add('a');
    const second = q.get();
    expect(await settled(second)).toBe('pending');
    expect(q.len()).toBe(0);
    q.done('a');
    expect(await second).toBe('a');
  });

  it('collapses many adds during processing into one re-run', async () => {
    const q = queue();
    q.add('a');
    await q.get();
    q.add('a');
    q.add('a');
    q.add('a');
    q.done('a');
    expect(q.len()).toBe(1);
    expect(await q.get()).toBe('a');
    q.done('a');
    expect(q.len()).toBe(0);
  });

  it('wakes a waiting get when a key is added', async () => {
    const q = queue();
    const waiting = q.get();
    q.add('a');
    expect(await waiting).toBe('a');
  });

  it.each([
    { first: 100, second: 50, readyAt: 50 },
    { first: 50, second: 100, readyAt: 50 },
  ])(
    'keeps the earlier ready time when a key is added after two delays ($first ms, then $second ms)',
    async ({ first, second, readyAt }) => {
      const q = queue();
      q.addAfter('a', first);
      q.addAfter('a', second);
      vi.advanceTimersByTime(readyAt - 1);
      expect(q.len()).toBe(0);
      vi.advanceTimersByTime(1);
      expect(q.len()).toBe(1);
      vi.advanceTimersByTime(200);
      expect(q.len(), 'the later timer was cancelled or absorbed by de-duplication').toBe(1);
    },
  );

  it.each([0, -5])('adds at once when the delay is %d ms', (ms) => {
    const q = queue();
    q.addAfter('a', ms);
    expect(q.len()).toBe(1);
  });

  it('waits the rate limiter delay before re-adding a failed key, and forget resets it', () => {
    const q = queue();
    q.addRateLimited('a');
    q.addRateLimited('a');
    expect(q.numRequeues('a')).toBe(2);
    vi.advanceTimersByTime(4);
    expect(q.len()).toBe(0);
    vi.advanceTimersByTime(1);
    expect(q.len(), 'the earlier 5 ms wins over the later 10 ms').toBe(1);
    q.forget('a');
    expect(q.numRequeues('a')).toBe(0);
  });

  it('resolves waiting gets with undefined on shutDown, and ignores adds after it', async () => {
    const q = queue();
    const waiting = q.get();
    q.shutDown();
    expect(await waiting).toBeUndefined();
    q.add('a');
    q.addAfter('b', 10);
    vi.advanceTimersByTime(20);
    expect(q.len()).toBe(0);
    expect(await q.get()).toBeUndefined();
  });

  it('drops queued and delayed keys on shutDown', async () => {
    const q = queue();
    q.add('a');
    q.addAfter('b', 10);
    q.shutDown();
    vi.advanceTimersByTime(20);
    expect(q.len()).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('finishes shutDownWithDrain only when every key handed out is done, without re-queueing dirty ones', async () => {
    const q = queue();
    q.add('a');
    q.add('b');
    await q.get();
    await q.get();
    q.add('a');
    let drained = false;
    const drain = q.shutDownWithDrain().then(() => {
      drained = true;
    });
    q.done('a');
    await Promise.resolve();
    expect(drained).toBe(false);
    expect(q.len()).toBe(0);
    q.done('b');
    await drain;
    expect(drained).toBe(true);
  });

  it('reports depth, adds, retries, queue and work durations, and unfinished work', async () => {
    const calls: Record<string, number[]> = { depth: [], added: [], queue: [], work: [], retried: [] };
    let probe: () => { unfinishedSeconds: number; longestRunningSeconds: number } = () => ({
      unfinishedSeconds: -1,
      longestRunningSeconds: -1,
    });
    const metrics: WorkQueueMetrics = {
      depth: (n) => calls.depth!.push(n),
      added: () => calls.added!.push(1),
      queueDuration: (s) => calls.queue!.push(s),
      workDuration: (s) => calls.work!.push(s),
      retried: () => calls.retried!.push(1),
      trackUnfinishedWork: (p) => {
        probe = p;
      },
    };
    const q = queue({ metrics });
    q.add('a');
    q.add('b');
    q.add('a');
    vi.advanceTimersByTime(2000);
    await q.get();
    vi.advanceTimersByTime(1000);
    await q.get();
    vi.advanceTimersByTime(500);
    expect(probe()).toEqual({ unfinishedSeconds: 1.5 + 0.5, longestRunningSeconds: 1.5 });
    q.done('a');
    q.addAfter('a', 10);
    expect(calls).toEqual({ depth: [1, 2, 1, 0], added: [1, 1], queue: [2, 3], work: [1.5], retried: [1] });
  });
});

describe('exponentialRateLimiter', () => {
  it.each([
    { failures: 1, delayMs: 5 },
    { failures: 2, delayMs: 10 },
    { failures: 5, delayMs: 80 },
    { failures: 16, delayMs: 163_840 },
    { failures: 17, delayMs: 300_000 },
    { failures: 40, delayMs: 300_000 },
  ])('waits $delayMs ms on failure $failures by default (5 ms doubling, capped at 5 min)', ({ failures, delayMs }) => {
    const limiter = exponentialRateLimiter();
    let last = 0;
    for (let i = 0; i < failures; i++) last = limiter.when('k');
    expect(last).toBe(delayMs);
  });

  it('counts failures per key and takes its base and cap as options', () => {
    const limiter = exponentialRateLimiter({ baseMs: 100, maxMs: 250 });
    expect([limiter.when('a'), limiter.when('a'), limiter.when('a'), limiter.when('b')]).toEqual([100, 200, 250, 100]);
    expect(limiter.numRequeues('a')).toBe(3);
    limiter.forget('a');
    expect(limiter.when('a')).toBe(100);
  });
});
