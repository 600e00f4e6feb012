import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { getRaw } from '../../src/control-plane/kube-http.ts';
import {
  type LeaderElection,
  type LeaderElectionOptions,
  startLeaderElection,
} from '../../src/runtime/leader-election.ts';
import { adminKubeConfig, controlPlane, createNamespace, uniqueName } from '../support/cluster.ts';
import { startStallingProxy } from '../support/stalling-proxy.ts';

// Short durations so takeovers happen within seconds; the ratios keep client-go's constraints.
const durations = { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 500 };

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

  function elector(name: string, identity: string, options: Partial<LeaderElectionOptions> = {}) {
    const events: string[] = [];
    const election = startLeaderElection({
      kc,
      namespace,
      name,
      identity,
      ...durations,
      onStartedLeading: () => events.push('started'),
      onStoppedLeading: () => void events.push('stopped'),
      ...options,
    });
    running.push(election);
    return { election, events };
  }

  async function rawLease(name: string) {
    const res = await getRaw(kc, `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${name}`);
    expect(res.status).toBe(200);
    return { text: res.body, spec: JSON.parse(res.body).spec as Record<string, unknown> };
  }

  it('elects exactly one of two electors, and hands over within a second or two when the leader releases', async () => {
    const name = uniqueName('lease');
    const a = elector(name, 'replica-a');
    const b = elector(name, 'replica-b');
    await vi.waitFor(async () => expect(a.election.isLeader() || b.election.isLeader(), 'a leader').toBe(true), {
      timeout: 10_000,
    });
    const samples: number[] = [];
    for (let i = 0; i < 20; i++) {
      samples.push(Number(a.election.isLeader()) + Number(b.election.isLeader()));
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(
      samples.every((n) => n === 1),
      'exactly one leader at every sample',
    ).toBe(true);

    const [leader, standby] = a.election.isLeader() ? [a, b] : [b, a];
    expect((await rawLease(name)).spec.holderIdentity).toBe(leader.election.identity);
    const released = Date.now();
    await leader.election.stop();
    expect(leader.events, 'a requested stop is not a lost election').toEqual(['started']);
    await vi.waitFor(async () => expect(standby.election.isLeader(), 'the standby to take over').toBe(true), {
      timeout: 5_000,
    });
    expect(Date.now() - released).toBeLessThan(durations.leaseDurationMs);
    const { spec } = await rawLease(name);
    expect(spec).toMatchObject({ holderIdentity: standby.election.identity, leaseTransitions: 1 });
  });

  it('takes over from a leader that stopped renewing only after the lease expires', async () => {
    const name = uniqueName('lease');
    const a = elector(name, 'replica-a', { releaseOnStop: false });
    await vi.waitFor(async () => expect(a.election.isLeader(), 'the first leader').toBe(true), { timeout: 10_000 });
    const b = elector(name, 'replica-b');
    await new Promise((r) => setTimeout(r, 1_000));
    expect(b.election.isLeader()).toBe(false);

    const killed = Date.now();
    await a.election.stop();
    expect((await rawLease(name)).spec.holderIdentity, 'not released').toBe('replica-a');
    await vi.waitFor(async () => expect(b.election.isLeader(), 'the standby to take over').toBe(true), {
      timeout: 10_000,
    });
    const tookMs = Date.now() - killed;
    // b judges expiry from when it first saw a's last record: that renewal came at most one retry period (plus a
    // request) before the kill, and b, polling every 1-2.2 retry periods, saw it at most one poll after. Expiry is a
    // lease duration later, and b acts on its next poll.
    const poll = 2.2 * durations.retryPeriodMs;
    expect(tookMs, `took over after ${tookMs} ms`).toBeGreaterThan(
      durations.leaseDurationMs - durations.retryPeriodMs - 200,
    );
    expect(tookMs, `took over after ${tookMs} ms`).toBeLessThan(durations.leaseDurationMs + 2 * poll + 500);
    expect((await rawLease(name)).spec).toMatchObject({ holderIdentity: 'replica-b', leaseTransitions: 1 });
  });

  it('writes acquireTime and renewTime as MicroTime with six fractional digits', async () => {
    const name = uniqueName('lease');
    const a = elector(name, 'replica-a');
    await vi.waitFor(async () => expect(a.election.isLeader(), 'a leader').toBe(true), { timeout: 10_000 });
    await new Promise((r) => setTimeout(r, 2 * durations.retryPeriodMs));
    const { text, spec } = await rawLease(name);
    expect(text).toMatch(/"renewTime":\s*"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z"/);
    expect(spec.acquireTime).toMatch(/\.\d{6}Z$/);
    expect(spec).toMatchObject({ holderIdentity: 'replica-a', leaseDurationSeconds: 3, leaseTransitions: 0 });
    expect(Date.parse(String(spec.renewTime))).toBeGreaterThan(Date.parse(String(spec.acquireTime)));
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
        timeout: 5_000,
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
