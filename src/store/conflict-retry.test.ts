import { describe, expect, it } from 'vitest';
import { ScimError } from '../scim/errors.ts';
import { retryConflicts } from './conflict-retry.ts';

class Conflict extends Error {}
const retryable = (err: unknown) => err instanceof Conflict;

/** A fake clock that sleeping advances, so tests never wait for real time. */
function fakeTime() {
  let now = 1_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

describe('retryConflicts', () => {
  it('retries a lost race with a fresh attempt until one wins', async () => {
    const time = fakeTime();
    const attempts: number[] = [];
    const result = await retryConflicts(
      async (n) => {
        attempts.push(n);
        if (n < 3) throw new Conflict();
        return 'written';
      },
      { deadline: time.now() + 10_000, retryable, subject: 'Group g', ...time, random: () => 0.5 },
    );
    expect(result).toBe('written');
    expect(attempts).toEqual([0, 1, 2, 3]);
  });

  it('backs off exponentially with full jitter, capped at 500 ms', async () => {
    const time = fakeTime();
    await retryConflicts(
      async (n) => {
        if (n < 8) throw new Conflict();
      },
      { deadline: time.now() + 60_000, retryable, subject: 'Group g', ...time, random: () => 0.999 },
    );
    expect(time.sleeps).toEqual([9, 19, 39, 79, 159, 319, 499, 499]);
  });

  it('answers 503 with Retry-After once the next backoff would pass the deadline', async () => {
    const time = fakeTime();
    let attempts = 0;
    const failure = await retryConflicts(
      async () => {
        attempts++;
        throw new Conflict();
      },
      { deadline: time.now() + 1_000, retryable, subject: 'Group g', ...time, random: () => 0.999 },
    ).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ScimError);
    expect(failure).toMatchObject({ status: 503, retryAfterSeconds: 1 });
    expect((failure as ScimError).message).toBe('Group g is being changed concurrently; retry');
    expect(time.now()).toBeLessThanOrEqual(2_000);
    expect(attempts).toBeGreaterThan(3);
  });

  it('rethrows any other failure at once, without retrying', async () => {
    const time = fakeTime();
    let attempts = 0;
    const refused = new Error('refused');
    await expect(
      retryConflicts(
        async () => {
          attempts++;
          throw refused;
        },
        { deadline: time.now() + 10_000, retryable, subject: 'Group g', ...time },
      ),
    ).rejects.toBe(refused);
    expect(attempts).toBe(1);
    expect(time.sleeps).toEqual([]);
  });
});
