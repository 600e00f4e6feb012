import { describe, expect, it, vi } from 'vitest';
import { DownstreamError, errorForStatus } from '../../downstream/errors.ts';
import { Controller } from '../../runtime/controller.ts';
import { stringKeys } from '../../runtime/queue-key.ts';
import { isTerminal, type LoggerLike } from '../../runtime/reconciler.ts';
import { syncOutcome } from './sync-outcome.ts';

const silent: LoggerLike = { info() {}, warn() {}, error() {}, debug() {} };

describe('syncOutcome', () => {
  it('is done when no account failed', () => {
    expect(syncOutcome('ada', [])).toBeUndefined();
  });

  it('looks again after the shortest Retry-After when every failing app sent one', () => {
    const limited = [
      new DownstreamError('RateLimited', 'slow down', { retryAfterMs: 3000 }),
      new DownstreamError('Unavailable', 'later', { retryAfterMs: 1000 }),
    ];
    expect(syncOutcome('ada', limited)).toEqual({ requeueAfterMs: 1000 });
  });

  it.each([400, 409])('gives up on a downstream %i: the same request gets the same answer', (status) => {
    const refused = errorForStatus(status, 'POST /Users', undefined);
    expect(() => syncOutcome('ada', [refused])).toThrowError(expect.objectContaining({ name: 'TerminalError' }));
  });

  it('retries with backoff when one of the failures may pass later', () => {
    const failures = [errorForStatus(400, 'POST /Users', undefined), errorForStatus(500, 'POST /Users', undefined)];
    let thrown: unknown;
    try {
      syncOutcome('ada', failures);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect(isTerminal(thrown)).toBe(false);
  });

  it('does not retry a user whose only failure is a downstream 400', async () => {
    const backoffs: string[] = [];
    const terminal: boolean[] = [];
    let calls = 0;
    const controller = new Controller({
      name: 'accounts',
      keys: stringKeys,
      logger: silent,
      rateLimiter: {
        when: (key) => {
          backoffs.push(key);
          return 1;
        },
        forget: () => {},
        numRequeues: () => 0,
      },
      metrics: {
        forController: () => ({
          queue: {
            depth() {},
            added() {},
            queueDuration() {},
            workDuration() {},
            retried() {},
            trackUnfinishedWork() {},
          },
          reconcile: {
            maxConcurrentReconciles() {},
            activeWorkers() {},
            reconciled() {},
            errored: (kind) => terminal.push(kind.terminal),
          },
        }),
      },
      reconcile: async () => {
        calls++;
        return syncOutcome('ada', [errorForStatus(400, 'POST /Users', undefined)]);
      },
    });
    controller.start();
    controller.enqueue('ada');
    await vi.waitFor(() => expect(calls).toBe(1));
    // stop() waits for the reconcile's outcome to be handled: by then a retry would have asked for a backoff.
    await controller.stop();
    expect(terminal).toEqual([true]);
    expect(backoffs).toEqual([]);
  });
});
