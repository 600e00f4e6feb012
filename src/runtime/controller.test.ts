import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Clock } from './clock.ts';
import {
  Controller,
  type ControllerMetricsSource,
  isPanic,
  type ReconcileMetrics,
  ReconcilePreemptedError,
} from './controller.ts';
import { stringKeys } from './queue-key.ts';
import { type LoggerLike, type Reconcile, requeueAfter, TerminalError } from './reconciler.ts';
import type { WorkQueueMetrics } from './work-queue.ts';

const fakeTimerClock: Clock = {
  now: () => Date.now(),
  date: () => new Date(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

function recordingMetrics() {
  const counts = { success: 0, error: 0, requeue: 0, requeue_after: 0, errors: 0, terminal: 0, panics: 0, timeouts: 0 };
  const gauges = { active: 0, maxActive: 0, maxConcurrent: 0 };
  const reconcile: ReconcileMetrics = {
    maxConcurrentReconciles: (n) => {
      gauges.maxConcurrent = n;
    },
    activeWorkers: (delta) => {
      gauges.active += delta;
      gauges.maxActive = Math.max(gauges.maxActive, gauges.active);
    },
    reconciled: (outcome) => {
      counts[outcome]++;
    },
    errored: ({ terminal, panic, timedOut }) => {
      counts.errors++;
      if (terminal) counts.terminal++;
      if (panic) counts.panics++;
      if (timedOut) counts.timeouts++;
    },
  };
  const queue: WorkQueueMetrics = {
    depth: () => {},
    added: () => {},
    queueDuration: () => {},
    workDuration: () => {},
    retried: () => {},
    trackUnfinishedWork: () => {},
  };
  const source: ControllerMetricsSource = { forController: () => ({ queue, reconcile }) };
  return { counts, gauges, source };
}

function recordingLogger() {
  const lines: Array<Record<string, unknown> & { level: string; msg?: string }> = [];
  const make = (bindings: Record<string, unknown>): LoggerLike => {
    const at = (level: string) => (obj: object, msg?: string) => void lines.push({ ...bindings, ...obj, level, msg });
    return {
      info: at('info'),
      warn: at('warn'),
      error: at('error'),
      debug: at('debug'),
      child: (more) => make({ ...bindings, ...more }),
    };
  };
  return { lines, logger: make({}) };
}

describe('Controller', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function controllerFor(
    reconcile: Reconcile,
    options: { workers?: number; urgentWorkers?: number; reconcileTimeoutMs?: number } = {},
  ) {
    const metrics = recordingMetrics();
    const { lines, logger } = recordingLogger();
    const controller = new Controller({
      keys: stringKeys,
      name: 'test',
      reconcile,
      logger,
      metrics: metrics.source,
      clock: fakeTimerClock,
      ...options,
    });
    return { controller, lines, ...metrics };
  }

  it.each([
    {
      outcome: 'resolves nothing',
      reconcile: async () => undefined,
      counts: { success: 1 },
      runsAgainAfterMs: undefined,
    },
    {
      outcome: 'asks to requeue after 30 s',
      reconcile: async () => requeueAfter(30_000),
      counts: { requeue_after: 1 },
      runsAgainAfterMs: 30_000,
    },
    {
      outcome: 'throws an Error',
      reconcile: async () => {
        throw new Error('API server unavailable');
      },
      counts: { error: 1, errors: 1 },
      runsAgainAfterMs: 5,
    },
    {
      outcome: 'throws a TerminalError',
      reconcile: async () => {
        throw new TerminalError('spec.userName is empty');
      },
      counts: { error: 1, errors: 1, terminal: 1 },
      runsAgainAfterMs: undefined,
    },
    {
      outcome: 'throws an Error caused by a TerminalError',
      reconcile: async () => {
        throw new Error('apply failed', { cause: new TerminalError('invalid') });
      },
      counts: { error: 1, errors: 1, terminal: 1 },
      runsAgainAfterMs: undefined,
    },
    {
      outcome: 'throws a string',
      reconcile: async () => {
        throw 'boom';
      },
      counts: { error: 1, errors: 1, panics: 1 },
      runsAgainAfterMs: 5,
    },
    {
      outcome: 'dereferences undefined',
      reconcile: async () => {
        (undefined as unknown as { spec: { x: number } }).spec.x++;
      },
      counts: { error: 1, errors: 1, panics: 1 },
      runsAgainAfterMs: 5,
    },
  ])(
    'when reconcile $outcome, counts $counts and runs it again after $runsAgainAfterMs ms',
    async ({ reconcile, counts, runsAgainAfterMs }) => {
      const calls: number[] = [];
      const { controller, counts: actual } = controllerFor(async () => {
        calls.push(Date.now());
        return calls.length === 1 ? reconcile() : undefined;
      });
      const started = Date.now();
      controller.enqueue('ns/a');
      controller.start();
      await vi.advanceTimersByTimeAsync(0);
      const zero = {
        success: 0,
        error: 0,
        requeue: 0,
        requeue_after: 0,
        errors: 0,
        terminal: 0,
        panics: 0,
        timeouts: 0,
      };
      expect(actual).toEqual({ ...zero, ...counts });
      await vi.advanceTimersByTimeAsync(60_000);
      if (runsAgainAfterMs === undefined) expect(calls).toHaveLength(1);
      else expect(calls.map((t) => t - started)).toEqual([0, runsAgainAfterMs]);
      await controller.stop();
    },
  );

  it('counts a terminal error without requeueing it', async () => {
    let calls = 0;
    const { controller, counts, lines } = controllerFor(async () => {
      calls++;
      throw new TerminalError('spec.userName is empty');
    });
    controller.enqueue('a');
    controller.start();
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(calls).toBe(1);
    expect(counts).toMatchObject({ error: 1, errors: 1, terminal: 1, panics: 0 });
    expect(lines.find((l) => l.level === 'error')).toMatchObject({ msg: 'Reconciler error', terminal: true });
    await controller.stop();
  });

  it('backs off a failing key exponentially and starts again from 5 ms after a success', async () => {
    const calls: number[] = [];
    const failures = new Set([1, 2, 3, 5]);
    const { controller } = controllerFor(async () => {
      calls.push(Date.now());
      if (failures.has(calls.length)) throw new Error('downstream unavailable');
      return calls.length === 4 ? requeueAfter(1000) : undefined;
    });
    const started = Date.now();
    controller.enqueue('a');
    controller.start();
    await vi.advanceTimersByTimeAsync(5_000);
    // fail, +5, fail, +10, fail, +20, requeue_after(1000) forgets the failures, fail, +5 (not +40), success
    expect(calls.map((t) => t - started)).toEqual([0, 5, 15, 35, 1035, 1040]);
    await controller.stop();
  });

  it('never reconciles one key on two workers at once', async () => {
    let running = 0;
    let overlap = false;
    const seen: string[] = [];
    const { controller, gauges } = controllerFor(
      async (key) => {
        if (key === 'a' && running > 0) overlap = true;
        if (key === 'a') running++;
        seen.push(key);
        await new Promise((r) => setTimeout(r, 100));
        if (key === 'a') running--;
      },
      { workers: 4 },
    );
    controller.start();
    controller.enqueue('a');
    await vi.advanceTimersByTimeAsync(10);
    controller.enqueue('a');
    controller.enqueue('b');
    controller.enqueue('c');
    await vi.advanceTimersByTimeAsync(10);
    controller.enqueue('a');
    await vi.advanceTimersByTimeAsync(1000);
    expect(overlap).toBe(false);
    expect(seen).toEqual(['a', 'b', 'c', 'a']);
    expect(gauges).toEqual({ active: 0, maxActive: 3, maxConcurrent: 4 });
    await controller.stop();
  });

  it('gives each reconcile its own reconcileId in a child logger bound to controller and key', async () => {
    const ids: string[] = [];
    const { controller, lines } = controllerFor(async (_key, { reconcileId, logger }) => {
      ids.push(reconcileId);
      logger.info({ step: 1 }, 'working');
    });
    controller.enqueue('ns/a');
    controller.start();
    await vi.advanceTimersByTimeAsync(0);
    controller.enqueue('ns/a');
    await vi.advanceTimersByTimeAsync(0);
    expect(ids).toHaveLength(2);
    expect(ids[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(ids[0]).not.toBe(ids[1]);
    expect(lines.filter((l) => l.msg === 'working')).toEqual([
      { controller: 'test', key: 'ns/a', reconcileId: ids[0], step: 1, level: 'info', msg: 'working' },
      { controller: 'test', key: 'ns/a', reconcileId: ids[1], step: 1, level: 'info', msg: 'working' },
    ]);
    await controller.stop();
  });

  it('aborts the signal at the reconcile timeout and counts the rejection that follows as a timeout', async () => {
    const { controller, counts } = controllerFor(
      (_key, { signal }) =>
        new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
      { reconcileTimeoutMs: 1000 },
    );
    controller.enqueue('a');
    controller.start();
    await vi.advanceTimersByTimeAsync(999);
    expect(counts.errors).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(counts).toMatchObject({ error: 1, errors: 1, timeouts: 1, panics: 0 });
    await controller.stop();
  });

  it('waits in stop() for the reconcile in flight, and runs no other key after it', async () => {
    const finished: string[] = [];
    const { controller } = controllerFor(async (key) => {
      await new Promise((r) => setTimeout(r, 500));
      finished.push(key);
    });
    controller.enqueue('a');
    controller.enqueue('b');
    controller.start();
    await vi.advanceTimersByTimeAsync(100);
    let stopped = false;
    const stopping = controller.stop().then(() => {
      stopped = true;
    });
    await vi.advanceTimersByTimeAsync(399);
    expect(stopped).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await stopping;
    expect(finished).toEqual(['a']);
  });

  it('holds keys enqueued before start() and de-duplicates them', async () => {
    const seen: string[] = [];
    const { controller } = controllerFor(async (key) => {
      seen.push(key);
    });
    for (const key of ['a', 'b', 'a', 'a']) controller.enqueue(key);
    await vi.advanceTimersByTimeAsync(100);
    expect(seen).toEqual([]);
    controller.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(seen).toEqual(['a', 'b']);
    await controller.stop();
  });

  it('accepts a pino logger, binding controller, key and reconcileId with child()', async () => {
    const out: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void out.push(line) });
    const controller = new Controller({
      keys: stringKeys,
      name: 'pino',
      logger,
      reconcile: async () => undefined,
      clock: fakeTimerClock,
    });
    controller.enqueue('a');
    controller.start();
    await vi.advanceTimersByTimeAsync(0);
    await controller.stop();
    const line = JSON.parse(out[0] ?? '{}');
    expect(line).toMatchObject({ controller: 'pino', key: 'a', msg: 'Reconcile done' });
    expect(line.reconcileId).toMatch(/^[0-9a-f-]{36}$/);
  });
  it('runs its workers again after stop() and start(), on the keys enqueued since', async () => {
    const seen: string[] = [];
    const { controller } = controllerFor(async (key) => {
      seen.push(key);
    });
    controller.enqueue('a');
    controller.start();
    await vi.advanceTimersByTimeAsync(0);
    await controller.stop();
    controller.enqueue('b');
    controller.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(seen).toEqual(['a', 'b']);
    await controller.stop();
  });

  it('preempts the in-flight run of a key an urgent change arrives for, and runs the urgent one right after it', async () => {
    const writes: string[] = [];
    let runs = 0;
    let release = () => {};
    const { controller, counts } = controllerFor(
      async (key, { signal }) => {
        const run = ++runs;
        for (const write of ['first', 'second']) {
          if (run === 1 && write === 'second') await new Promise<void>((resolve) => (release = resolve));
          signal.throwIfAborted();
          writes.push(`${key} run ${run}: ${write}`);
        }
      },
      { workers: 1, urgentWorkers: 1 },
    );
    controller.start();
    controller.enqueue('hot');
    await vi.waitFor(() => expect(writes).toEqual(['hot run 1: first']));
    controller.enqueueUrgent('hot');
    release();
    await vi.waitFor(() => expect(writes).toEqual(['hot run 1: first', 'hot run 2: first', 'hot run 2: second']));
    expect(counts).toMatchObject({ requeue: 1, success: 1, error: 0, errors: 0 });
    await controller.stop();
  });

  it('gives a preempted run a ReconcilePreemptedError as its signal reason and does not back the key off', async () => {
    const reasons: unknown[] = [];
    let release = () => {};
    const { controller, counts } = controllerFor(async (_key, { signal }) => {
      if (reasons.length === 0) await new Promise<void>((resolve) => (release = resolve));
      reasons.push(signal.reason);
      signal.throwIfAborted();
    });
    controller.start();
    controller.enqueue('hot');
    await vi.advanceTimersByTimeAsync(0);
    controller.enqueueUrgent('hot');
    release();
    // No time passes: a backoff (5 ms at least) would hold the second run back.
    await vi.advanceTimersByTimeAsync(0);
    expect(reasons).toHaveLength(2);
    expect(reasons[0]).toBeInstanceOf(ReconcilePreemptedError);
    expect(reasons[1]).toBeUndefined();
    expect(counts).toMatchObject({ requeue: 1, success: 1, errors: 0 });
    await controller.stop();
  });

  it('aborts in-flight reconciles when stopped with abandon, so no write starts after the stop', async () => {
    const writes: string[] = [];
    let release: () => void = () => {};
    const { controller, counts, lines } = controllerFor(async (key, { signal }) => {
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      signal.throwIfAborted();
      writes.push(key);
    });
    controller.enqueue('a');
    controller.start();
    await vi.advanceTimersByTimeAsync(0);
    const stopped = controller.stop({ abandon: true });
    release();
    await stopped;
    expect(writes).toEqual([]);
    expect(counts.errors).toBe(0);
    expect(lines.some((l) => l.msg === 'Reconcile abandoned: the controller is stopping')).toBe(true);
  });
});

describe('isPanic', () => {
  it.each([
    { thrown: 'a string', value: 'boom', panic: true },
    { thrown: 'undefined', value: undefined, panic: true },
    { thrown: 'a TypeError from a bug', value: new TypeError('Cannot read properties of undefined'), panic: true },
    { thrown: 'a ReferenceError', value: new ReferenceError('x is not defined'), panic: true },
    { thrown: 'a RangeError', value: new RangeError('Maximum call stack size exceeded'), panic: true },
    {
      thrown: "undici's fetch failed",
      value: new TypeError('fetch failed', { cause: new Error('reset') }),
      panic: false,
    },
    { thrown: 'an Error', value: new Error('conflict'), panic: false },
    { thrown: 'a TerminalError', value: new TerminalError('invalid'), panic: false },
  ])('treats $thrown as a panic: $panic', ({ value, panic }) => {
    expect(isPanic(value)).toBe(panic);
  });
});
