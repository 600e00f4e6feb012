import { CoordinationV1Api, KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { getRaw } from '../../src/control-plane/kube-http.ts';
import {
  type LeaderElection,
  type LeaderElectionOptions,
  type LeaseClient,
  startLeaderElection,
} from '../../src/runtime/leader-election.ts';
import { adminKubeConfig, controlPlane, createNamespace, uniqueName } from '../support/cluster.ts';
import { startStallingProxy } from '../support/stalling-proxy.ts';

// Short durations so takeovers happen within seconds; the ratios keep client-go's constraints. How fast a takeover is
// on the product's defaults is measured by bench/leader-failover.ts, not asserted here.
const durations = { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 500 };
// A lease long enough that a takeover well within it can only come from a release.
const longLease = { leaseDurationMs: 30_000, renewDeadlineMs: 20_000, retryPeriodMs: 500 };

describe('leader election on a real Lease', () => {
  let kc: KubeConfig;
  let namespace: string;
  const running: LeaderElection[] = [];

  beforeAll(async () => {
    kc = adminKubeConfig();
    namespace = await createNamespace(kc, uniqueName('leader'));
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((e) => e.stop()));
  });

  /** An elector whose Lease requests are counted, so a test can wait for its attempts rather than for time. */
  function elector(name: string, identity: string, options: Partial<LeaderElectionOptions> = {}) {
    const events: string[] = [];
    const attempts = { reads: 0 };
    const leases = countingLeases(options.kc ?? kc, name, attempts);
    const election = startLeaderElection({
      kc,
      namespace,
      name,
      identity,
      ...durations,
      onStartedLeading: () => events.push('started'),
      onStoppedLeading: () => void events.push('stopped'),
      leases,
      ...options,
    });
    running.push(election);
    return { election, events, attempts };
  }

  function countingLeases(client: KubeConfig, name: string, attempts: { reads: number }): LeaseClient {
    const api = client.makeApiClient(CoordinationV1Api);
    return {
      async read() {
        attempts.reads++;
        try {
          return await api.readNamespacedLease({ name, namespace });
        } catch (err) {
          if ((err as { code?: unknown }).code === 404) return undefined;
          throw err;
        }
      },
      create: (body: V1Lease) => api.createNamespacedLease({ namespace, body }),
      replace: (body: V1Lease) => api.replaceNamespacedLease({ name, namespace, body }),
    };
  }

  /** Resolves once `e` has made `n` more attempts (each reads the Lease first), whatever the machine's speed. */
  async function moreAttempts(e: { attempts: { reads: number } }, n: number) {
    const target = e.attempts.reads + n;
    await vi.waitFor(() => expect(e.attempts.reads, 'attempts').toBeGreaterThanOrEqual(target), { timeout: 30_000 });
  }

  async function rawLease(name: string) {
    const res = await getRaw(kc, `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${name}`);
    expect(res.status).toBe(200);
    return { text: res.body, spec: JSON.parse(res.body).spec as Record<string, unknown> };
  }

  it('elects exactly one of two electors, and hands over long before the lease would expire when the leader releases', async () => {
    const name = uniqueName('lease');
    const a = elector(name, 'replica-a', longLease);
    const b = elector(name, 'replica-b', longLease);
    await vi.waitFor(() => expect(a.election.isLeader() || b.election.isLeader(), 'a leader').toBe(true), {
      timeout: 10_000,
    });
    const [leader, standby] = a.election.isLeader() ? [a, b] : [b, a];
    // Both keep contending: the standby reads the Lease on every attempt and finds it held.
    await moreAttempts(standby, 3);
    expect([leader.election.isLeader(), standby.election.isLeader()]).toEqual([true, false]);
    expect({ leader: leader.events, standby: standby.events }, 'only one ever started leading').toEqual({
      leader: ['started'],
      standby: [],
    });

    expect((await rawLease(name)).spec.holderIdentity).toBe(leader.election.identity);
    const released = Date.now();
    await leader.election.stop();
    expect(leader.events, 'a requested stop is not a lost election').toEqual(['started']);
    await vi.waitFor(() => expect(standby.election.isLeader(), 'the standby to take over').toBe(true), {
      timeout: 20_000,
    });
    // Sooner than the 30 s lease could expire: the takeover used the release.
    expect(Date.now() - released).toBeLessThan(longLease.leaseDurationMs);
    const { spec } = await rawLease(name);
    expect(spec).toMatchObject({ holderIdentity: standby.election.identity, leaseTransitions: 1 });
  });

  it('takes over from a leader that stopped renewing only after the lease expires', async () => {
    const lease = { leaseDurationMs: 10_000, renewDeadlineMs: 5_000, retryPeriodMs: 500 };
    const name = uniqueName('lease');
    const a = elector(name, 'replica-a', { ...lease, releaseOnStop: false });
    await vi.waitFor(() => expect(a.election.isLeader(), 'the first leader').toBe(true), { timeout: 10_000 });
    const b = elector(name, 'replica-b', lease);
    await moreAttempts(b, 2);
    expect(b.election.isLeader(), 'the standby while the lease is renewed').toBe(false);
    expect(b.events).toEqual([]);

    const killed = Date.now();
    await a.election.stop();
    expect((await rawLease(name)).spec.holderIdentity, 'not released').toBe('replica-a');
    await vi.waitFor(() => expect(b.election.isLeader(), 'the standby to take over').toBe(true), {
      timeout: lease.leaseDurationMs + 20_000,
    });
    const tookMs = Date.now() - killed;
    // b judges expiry from when it first saw a's last record, which a wrote at most one retry period (plus a request,
    // slow on a loaded machine: 2.5 s allowed) before the kill; b cannot lead before a lease duration has passed since.
    // The upper side is a product figure, measured by bench/leader-failover.ts.
    expect(tookMs, `took over after ${tookMs} ms`).toBeGreaterThan(lease.leaseDurationMs - lease.retryPeriodMs - 2_500);
    expect((await rawLease(name)).spec).toMatchObject({ holderIdentity: 'replica-b', leaseTransitions: 1 });
  });

  it('writes acquireTime and renewTime as MicroTime with six fractional digits', async () => {
    const name = uniqueName('lease');
    const a = elector(name, 'replica-a');
    await vi.waitFor(() => expect(a.election.isLeader(), 'a leader').toBe(true), { timeout: 10_000 });
    // Wait for a renewal (renewTime moves past acquireTime) instead of sleeping for one.
    const { text, spec } = await vi.waitFor(
      async () => {
        const lease = await rawLease(name);
        expect(Date.parse(String(lease.spec.renewTime)), 'renewed').toBeGreaterThan(
          Date.parse(String(lease.spec.acquireTime)),
        );
        return lease;
      },
      { timeout: 10_000 },
    );
    expect(text).toMatch(/"renewTime":\s*"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z"/);
    expect(spec.acquireTime).toMatch(/\.\d{6}Z$/);
    expect(spec).toMatchObject({ holderIdentity: 'replica-a', leaseDurationSeconds: 3, leaseTransitions: 0 });
  });

  it('a leader whose API server stalls steps down before the standby leads, then contends again once it answers', async () => {
    const name = uniqueName('lease');
    const proxy = await startStallingProxy(Number(new URL(controlPlane().server).port));
    try {
      const stalling = new KubeConfig();
      stalling.loadFromOptions({
        clusters: kc.clusters.map((c) => ({ ...c, server: `https://127.0.0.1:${proxy.port}` })),
        users: kc.users,
        contexts: kc.contexts,
        currentContext: kc.currentContext,
      });
      const timeline: string[] = [];
      const a = elector(name, 'replica-a', {
        kc: stalling,
        onStartedLeading: () => void timeline.push('a started'),
        onStoppedLeading: () => void timeline.push('a stopped'),
      });
      await vi.waitFor(async () => expect(a.election.isLeader(), 'the first leader').toBe(true), { timeout: 10_000 });
      const b = elector(name, 'replica-b', {
        onStartedLeading: () => void timeline.push('b started'),
        onStoppedLeading: () => void timeline.push('b stopped'),
      });
      let bothLed = false;
      const overlap = setInterval(() => {
        if (a.election.isLeader() && b.election.isLeader()) bothLed = true;
      }, 20);

      proxy.stall();
      await vi.waitFor(async () => expect(b.election.isLeader(), 'the standby to take over').toBe(true), {
        timeout: 15_000,
      });
      proxy.resume();
      // a contends again, but b renews: a stays standby until b lets go, and then a leads again.
      await vi.waitFor(async () => expect((await rawLease(name)).spec.holderIdentity, 'b holds').toBe('replica-b'), {
        timeout: 10_000,
      });
      timeline.push('b releases');
      await b.election.stop();
      await vi.waitFor(async () => expect(a.election.isLeader(), 'a to lead again').toBe(true), { timeout: 10_000 });
      clearInterval(overlap);

      expect(bothLed).toBe(false);
      expect(timeline).toEqual(['a started', 'a stopped', 'b started', 'b releases', 'a started']);
      expect((await rawLease(name)).spec).toMatchObject({ holderIdentity: 'replica-a', leaseTransitions: 2 });
    } finally {
      await proxy.close();
    }
  });
});
