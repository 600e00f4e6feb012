import { KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Clock } from './clock.ts';
import { type LeaderElectionOptions, type LeaseClient, startLeaderElection } from './leader-election.ts';

const fakeTimerClock: Clock = {
  now: () => Date.now(),
  date: () => new Date(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** An API server's view of one Lease: JSON round trips, resourceVersion checks, and switchable failures. */
function fakeLeases(initial?: V1Lease['spec']) {
  let stored: V1Lease | undefined;
  let version = 0;
  const state = { failing: false, hanging: false, calls: 0 };
  const save = (lease: V1Lease): V1Lease => {
    version++;
    stored = JSON.parse(
      JSON.stringify({ ...lease, metadata: { ...lease.metadata, resourceVersion: String(version) } }),
    );
    return structuredClone(stored!);
  };
  if (initial) save({ metadata: { name: 'leader', namespace: 'ns' }, spec: initial });
  const call = async <T>(fn: () => T): Promise<T> => {
    state.calls++;
    if (state.hanging) return new Promise(() => {});
    if (state.failing) throw Object.assign(new Error('connection refused'), { code: 503 });
    return fn();
  };
  const client: LeaseClient = {
    read: () => call(() => (stored ? structuredClone(stored) : undefined)),
    create: (lease) =>
      call(() => {
        if (stored) throw Object.assign(new Error('exists'), { code: 409 });
        return save(lease);
      }),
    replace: (lease) =>
      call(() => {
        if (lease.metadata?.resourceVersion !== stored?.metadata?.resourceVersion) {
          throw Object.assign(new Error('conflict'), { code: 409 });
        }
        return save(lease);
      }),
  };
  /** Another replica writing the record, as it would on renewal. */
  const writeAsOther = (spec: V1Lease['spec']) => save({ ...stored, spec: { ...stored?.spec, ...spec } });
  return { client, state, writeAsOther, lease: () => stored };
}

describe('startLeaderElection', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function elect(leases: LeaseClient, options: Partial<LeaderElectionOptions> = {}) {
    const events: string[] = [];
    const election = startLeaderElection({
      kc: new KubeConfig(),
      namespace: 'ns',
      name: 'leader',
      identity: 'me',
      leases,
      clock: fakeTimerClock,
      onStartedLeading: () => events.push('started'),
      onStoppedLeading: () => void events.push('stopped'),
      metrics: { leading: (leading) => events.push(`status=${leading ? 1 : 0}`) },
      ...options,
    });
    return { election, events };
  }

  it('creates the Lease with six-digit MicroTimes and leads when there is none', async () => {
    const leases = fakeLeases();
    const { election, events } = elect(leases.client);
    await vi.advanceTimersByTimeAsync(0);
    expect(election.isLeader()).toBe(true);
    expect(events).toEqual(['status=0', 'status=1', 'started']);
    expect(leases.lease()?.spec).toMatchObject({ holderIdentity: 'me', leaseDurationSeconds: 15, leaseTransitions: 0 });
    expect(String(leases.lease()?.spec?.renewTime)).toMatch(/\.\d{6}Z$/);
    await election.stop();
  });

  it('judges expiry on the local time it saw the record change, never on the remote renewTime', async () => {
    const leases = fakeLeases({
      holderIdentity: 'other',
      leaseDurationSeconds: 15,
      renewTime: '2000-01-01T00:00:00.000000Z' as never,
      leaseTransitions: 4,
    });
    const { election } = elect(leases.client);
    await vi.advanceTimersByTimeAsync(14_000);
    expect(election.isLeader(), 'a renewTime years old does not make the lease expired').toBe(false);
    await vi.advanceTimersByTimeAsync(6_000);
    expect(election.isLeader()).toBe(true);
    expect(leases.lease()?.spec).toMatchObject({ holderIdentity: 'me', leaseTransitions: 5 });
    await election.stop();
  });

  it('stays a standby while the holder keeps changing the record, whatever its renewTime says', async () => {
    const leases = fakeLeases({ holderIdentity: 'other', leaseDurationSeconds: 15, leaseTransitions: 0 });
    const { election } = elect(leases.client);
    for (let second = 1; second <= 60; second++) {
      leases.writeAsOther({ renewTime: `2${String(second).padStart(3, '0')}-01-01T00:00:00.000000Z` as never });
      await vi.advanceTimersByTimeAsync(1000);
    }
    expect(election.isLeader()).toBe(false);
    await election.stop();
    expect(leases.lease()?.spec?.holderIdentity, 'a standby has nothing to release').toBe('other');
  });

  it('takes over at once a Lease its holder released', async () => {
    const leases = fakeLeases({ holderIdentity: '', leaseDurationSeconds: 1, leaseTransitions: 2 });
    const { election } = elect(leases.client);
    await vi.advanceTimersByTimeAsync(0);
    expect(election.isLeader()).toBe(true);
    expect(leases.lease()?.spec).toMatchObject({ holderIdentity: 'me', leaseTransitions: 3, leaseDurationSeconds: 15 });
    await election.stop();
  });

  it.each([
    { failure: 'fails', mode: 'failing' as const },
    { failure: 'hangs', mode: 'hanging' as const },
  ])(
    'calls onStoppedLeading once when renewal $failure past the renew deadline, then contends again and leads once the API server answers',
    async ({ mode }) => {
      const leases = fakeLeases();
      const { election, events } = elect(leases.client);
      await vi.advanceTimersByTimeAsync(0);
      leases.state[mode] = true;
      // The first renewal starts at 2 s (retry period) and gives up 10 s (renew deadline) later.
      await vi.advanceTimersByTimeAsync(11_999);
      expect(election.isLeader()).toBe(true);
      await vi.advanceTimersByTimeAsync(1);
      expect(election.isLeader()).toBe(false);
      expect(events).toEqual(['status=0', 'status=1', 'started', 'status=0', 'stopped']);
      // Still contending: it keeps asking the API server.
      const calls = leases.state.calls;
      await vi.advanceTimersByTimeAsync(60_000);
      expect(leases.state.calls).toBeGreaterThan(calls);
      expect(election.isLeader()).toBe(false);
      leases.state[mode] = false;
      await vi.advanceTimersByTimeAsync(15_000);
      expect(election.isLeader()).toBe(true);
      expect(events.slice(5)).toEqual(['status=1', 'started']);
      // The Lease was still ours: taking it back is a renewal, not a transition.
      expect(leases.lease()?.spec).toMatchObject({ holderIdentity: 'me', leaseTransitions: 0 });
      await election.stop();
      expect(events.filter((e) => e === 'stopped')).toHaveLength(1);
    },
  );

  it('waits for onStoppedLeading to finish before it contends again', async () => {
    const leases = fakeLeases();
    let finishStopping: () => void = () => {};
    const { election, events } = elect(leases.client, {
      onStoppedLeading: () =>
        new Promise<void>((resolve) => {
          events.push('stopping');
          finishStopping = () => {
            events.push('stopped');
            resolve();
          };
        }),
    });
    await vi.advanceTimersByTimeAsync(0);
    leases.state.failing = true;
    await vi.advanceTimersByTimeAsync(12_000);
    leases.state.failing = false;
    const calls = leases.state.calls;
    await vi.advanceTimersByTimeAsync(30_000);
    expect(leases.state.calls).toBe(calls);
    finishStopping();
    await vi.advanceTimersByTimeAsync(0);
    expect(election.isLeader()).toBe(true);
    expect(events.slice(-4)).toEqual(['stopping', 'stopped', 'status=1', 'started']);
    await election.stop();
  });

  it('renews every retry period while leading, keeping acquireTime and leaseTransitions', async () => {
    const leases = fakeLeases();
    const { election } = elect(leases.client);
    await vi.advanceTimersByTimeAsync(0);
    const acquired = leases.lease()?.spec;
    const version = Number(leases.lease()?.metadata?.resourceVersion);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(Number(leases.lease()?.metadata?.resourceVersion)).toBe(version + 5);
    expect(leases.lease()?.spec).toMatchObject({ acquireTime: acquired?.acquireTime, leaseTransitions: 0 });
    await election.stop();
  });

  it('releases the Lease on stop with an empty holder and a 1 s duration, without calling onStoppedLeading', async () => {
    const leases = fakeLeases();
    const { election, events } = elect(leases.client);
    await vi.advanceTimersByTimeAsync(0);
    await election.stop();
    expect(election.isLeader()).toBe(false);
    expect(leases.lease()?.spec).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1, leaseTransitions: 0 });
    expect(events).toEqual(['status=0', 'status=1', 'started', 'status=0']);
  });

  it('gives up a release that hangs after the renew deadline, so stop() always finishes', async () => {
    const leases = fakeLeases();
    const { election } = elect(leases.client);
    await vi.advanceTimersByTimeAsync(0);
    leases.state.hanging = true;
    let stopped = false;
    const stopping = election.stop().then(() => {
      stopped = true;
    });
    await vi.advanceTimersByTimeAsync(10_000);
    await stopping;
    expect(stopped).toBe(true);
  });

  it('keeps the Lease on stop when releaseOnStop is false', async () => {
    const leases = fakeLeases();
    const { election } = elect(leases.client, { releaseOnStop: false });
    await vi.advanceTimersByTimeAsync(0);
    await election.stop();
    expect(leases.lease()?.spec?.holderIdentity).toBe('me');
  });

  it('identifies itself as hostname_uuid by default', () => {
    const { election } = elect(fakeLeases().client, { identity: undefined });
    expect(election.identity).toMatch(/^.+_[0-9a-f-]{36}$/);
    void election.stop();
  });

  it.each([
    { leaseDurationMs: 10_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 },
    { leaseDurationMs: 15_000, renewDeadlineMs: 2_400, retryPeriodMs: 2_000 },
  ])('rejects durations that break leaseDuration > renewDeadline > 1.2 × retryPeriod: %o', (durations) => {
    expect(() => elect(fakeLeases().client, durations)).toThrow(/must be greater/);
  });
});
