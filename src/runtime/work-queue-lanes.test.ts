import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeTimerClock, settled } from './work-queue.test-support.ts';
import { WorkQueue } from './work-queue.ts';

describe('WorkQueue lanes: revocations first, grants coalesced', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  const queue = () => new WorkQueue({ clock: fakeTimerClock });

  it('hands out an urgent key before keys added earlier in the ordinary lane', async () => {
    const q = queue();
    for (const key of ['a', 'b', 'c']) q.add(key);
    q.addUrgent('z');
    expect(q.len()).toBe(4);
    expect([await q.get(), await q.get(), await q.get(), await q.get()]).toEqual(['z', 'a', 'b', 'c']);
  });

  it('moves a key already waiting in the ordinary lane up to the urgent lane, once', async () => {
    const q = queue();
    for (const key of ['a', 'b', 'c']) q.add(key);
    q.addUrgent('c');
    q.addUrgent('c');
    expect(q.len()).toBe(3);
    expect([await q.get(), await q.get(), await q.get()]).toEqual(['c', 'a', 'b']);
  });

  it('re-runs a key a worker holds in the urgent lane when it is done', async () => {
    const q = queue();
    q.add('hot');
    expect(await q.get()).toBe('hot');
    q.add('a');
    q.addUrgent('hot');
    expect(await q.get()).toBe('a');
    q.add('b');
    q.done('hot');
    expect(await q.get()).toBe('hot');
    expect(await q.get()).toBe('b');
  });

  it('still never hands an urgent key to two workers at once', async () => {
    const q = queue();
    q.add('a');
    expect(await q.get()).toBe('a');
    q.addUrgent('a');
    const second = q.get();
    expect(await settled(second)).toBe('pending');
    q.done('a');
    expect(await second).toBe('a');
  });

  it('makes a key waiting for a delay ready at once when a revocation arrives', async () => {
    const q = queue();
    q.addAfter('a', 10_000);
    expect(q.len()).toBe(0);
    q.addUrgent('a');
    expect(q.len()).toBe(1);
    expect(await q.get()).toBe('a');
  });

  it('adds a coalesced key at once when no worker got it within the window', async () => {
    const q = queue();
    q.addCoalesced('m', 1_000);
    expect(q.len()).toBe(1);
    expect(await q.get()).toBe('m');
    q.done('m');
    vi.advanceTimersByTime(1_000);
    q.addCoalesced('m', 1_000);
    expect(q.len()).toBe(1);
  });

  it('runs a hot key at most once per window while only coalesced adds arrive', async () => {
    const q = queue();
    q.addCoalesced('m', 1_000);
    expect(await q.get()).toBe('m');
    vi.advanceTimersByTime(200);
    q.done('m');
    for (let i = 0; i < 5; i++) {
      q.addCoalesced('m', 1_000);
      vi.advanceTimersByTime(100);
    }
    // 700 ms after the worker got it: still inside the window.
    expect(q.len()).toBe(0);
    vi.advanceTimersByTime(299);
    expect(q.len()).toBe(0);
    vi.advanceTimersByTime(1);
    expect(q.len()).toBe(1);
    expect(await q.get()).toBe('m');
  });

  it('waits for the window after a run that took longer than it only until the run is done', async () => {
    const q = queue();
    q.addCoalesced('m', 1_000);
    expect(await q.get()).toBe('m');
    vi.advanceTimersByTime(1_500);
    q.addCoalesced('m', 1_000);
    expect(q.len()).toBe(0);
    q.done('m');
    expect(await q.get()).toBe('m');
  });

  it('never delays a revocation behind a coalesced grant of the same key', async () => {
    const q = queue();
    q.addCoalesced('m', 60_000);
    expect(await q.get()).toBe('m');
    q.done('m');
    q.addCoalesced('m', 60_000);
    expect(q.len()).toBe(0);
    q.addUrgent('m');
    expect(q.len()).toBe(1);
    expect(await q.get()).toBe('m');
  });

  it('puts a delayed urgent key in the urgent lane when it is due', async () => {
    const q = queue();
    q.addAfter('expiring', 1_000, { urgent: true });
    q.add('a');
    vi.advanceTimersByTime(1_000);
    expect([await q.get(), await q.get()]).toEqual(['expiring', 'a']);
  });

  it('keeps the earlier timer of a key and the urgency of either', async () => {
    const q = queue();
    q.addAfter('m', 500);
    q.addAfter('m', 1_000, { urgent: true });
    q.add('a');
    vi.advanceTimersByTime(500);
    expect(q.len()).toBe(2);
    expect([await q.get(), await q.get()]).toEqual(['m', 'a']);
  });

  it('gives a worker kept for urgent keys only urgent keys, and wakes it first for one', async () => {
    const q = queue();
    const urgentWorker = q.getUrgent();
    q.add('grant');
    expect(await settled(urgentWorker)).toBe('pending');
    expect(await q.get()).toBe('grant');
    const ordinaryWorker = q.get();
    q.addUrgent('revoke');
    expect(await urgentWorker).toBe('revoke');
    expect(await settled(ordinaryWorker)).toBe('pending');
    q.add('other');
    expect(await ordinaryWorker).toBe('other');
  });

  it('wakes a worker kept for urgent keys when a queued key moves up', async () => {
    const q = queue();
    q.add('a');
    q.add('b');
    const urgentWorker = q.getUrgent();
    expect(await settled(urgentWorker)).toBe('pending');
    q.addUrgent('b');
    expect(await urgentWorker).toBe('b');
    expect(await q.get()).toBe('a');
  });

  it('resolves a waiting urgent worker with undefined on shutdown', async () => {
    const q = queue();
    const urgentWorker = q.getUrgent();
    q.shutDown();
    expect(await urgentWorker).toBeUndefined();
  });

  it('drops both lanes on shutdown', async () => {
    const q = queue();
    q.add('a');
    q.addUrgent('b');
    q.shutDown();
    expect(q.len()).toBe(0);
    expect(await q.get()).toBeUndefined();
  });

  it('tells the holder of a key when an urgent add for it arrives, and hands the key out again only after done', async () => {
    const preempted: string[] = [];
    const q = new WorkQueue({ clock: fakeTimerClock, onPreempt: (key) => preempted.push(key) });
    q.add('hot');
    expect(await q.get()).toBe('hot');
    q.addUrgent('hot');
    expect(preempted).toEqual(['hot']);
    const next = q.getUrgent();
    expect(await settled(next)).toBe('pending');
    q.done('hot');
    expect(await next).toBe('hot');
  });

  it('does not preempt anything for an urgent add of a key no worker holds', async () => {
    const preempted: string[] = [];
    const q = new WorkQueue({ clock: fakeTimerClock, onPreempt: (key) => preempted.push(key) });
    q.add('waiting');
    q.addUrgent('waiting');
    q.addUrgent('new');
    q.add('other');
    expect(await q.get()).toBe('waiting');
    q.add('other');
    expect(preempted).toEqual([]);
  });
});
