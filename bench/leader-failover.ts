/**
 * Leader failover on a real Lease with the operator's default durations (15 s lease, 10 s renew deadline, 2 s retry
 * period; src/runtime/leader-election.ts): two electors contend, the leader goes away, the clock stops when the
 * standby leads. Two ways to go away, alternating:
 * - released: a clean shutdown (`stop()` releases the Lease): the standby should lead within about one retry period;
 * - crashed: the leader stops renewing without releasing, as a killed process: the standby must wait out the lease.
 * Goals: released p99 < 5 s; crashed p99 < 20 s (the takeover the leader-election comment promises). The integration
 * tests assert only that these happen, with generous bounds.
 */

import { startLeaderElection } from '../src/runtime/leader-election.ts';
import { startBenchCluster, uniqueName } from './support/cluster.ts';
import { elapsedMs, latencySummary, log, now, percentile, printResults, scaled } from './support/measure.ts';

const ROUNDS = scaled(5, 2);

const cluster = await startBenchCluster();
try {
  const namespace = await cluster.createNamespace(uniqueName('leader'));
  const released: number[] = [];
  const crashed: number[] = [];

  async function failover(release: boolean): Promise<number> {
    const name = uniqueName('lease');
    const elect = (identity: string) =>
      startLeaderElection({
        kc: cluster.admin,
        namespace,
        name,
        identity,
        releaseOnStop: release,
        onStartedLeading: () => {},
        onStoppedLeading: () => {},
      });
    const leader = elect('leader');
    await until(() => leader.isLeader(), 30_000, 'the first elector leads');
    const standby = elect('standby');
    // Pacing, not an assertion: the standby sees the leader renew for a few retry periods, as in a running cluster.
    await new Promise((r) => setTimeout(r, 5_000));
    if (standby.isLeader()) throw new Error('the standby led while the leader renewed');
    const gone = now();
    await leader.stop();
    await until(() => standby.isLeader(), 60_000, 'the standby leads');
    const took = elapsedMs(gone);
    await standby.stop();
    return took;
  }

  for (let round = 0; round < ROUNDS; round++) {
    released.push(await failover(true));
    crashed.push(await failover(false));
    log(
      `round ${round + 1}/${ROUNDS}: released ${released.at(-1)!.toFixed(0)} ms, crashed ${crashed.at(-1)!.toFixed(0)} ms`,
    );
  }

  printResults(`Leader failover on a real Lease, default durations, ${ROUNDS} rounds`, [
    {
      metric: 'leader released the Lease -> standby leads',
      goal: 'p99 < 5 s',
      measured: latencySummary(released),
      met: percentile(released, 99) < 5_000,
    },
    {
      metric: 'leader stopped renewing (crash) -> standby leads',
      goal: 'p99 < 20 s',
      measured: latencySummary(crashed),
      met: percentile(crashed, 99) < 20_000,
    },
  ]);
} finally {
  await cluster.stop();
}

async function until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const started = now();
  while (!done()) {
    if (elapsedMs(started) > timeoutMs) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
