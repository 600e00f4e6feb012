/** The whole operator in-process (src/main.ts startOperator) as a prepared non-admin identity, leading at once. */

import { type RunningOperator, startOperator } from '../../src/main.ts';
import { createLogger } from '../../src/observability/logger.ts';
import type { OperatorIdentity } from './cluster.ts';
import { type ScimCall, scimClient } from './endpoint.ts';

export interface BenchOperator {
  operator: RunningOperator;
  call: ScimCall;
}

export async function startBenchOperator(identity: OperatorIdentity): Promise<BenchOperator> {
  const operator = await startOperator(
    {
      kubeconfig: identity.kubeconfig,
      scimAddress: { host: '127.0.0.1', port: 0 },
      metricsAddress: { host: '127.0.0.1', port: 0 },
      tokenSecret: { namespace: identity.namespace, name: 'scim-tokens' },
      logLevel: 'silent',
      requestTimeoutMs: 60_000,
    },
    {
      settings: {
        ...identity.settings,
        leaderElection: { ...identity.settings.leaderElection, namespace: identity.namespace },
      },
      logger: createLogger(process.env.BENCH_LOG_LEVEL ?? 'silent'),
      onLeadershipLost: () => {
        throw new Error('the benchmark operator lost its Lease');
      },
    },
  );
  const deadline = Date.now() + 30_000;
  while (!(operator.isLeader() && operator.controllers.hasSynced())) {
    if (Date.now() > deadline) throw new Error('the operator did not lead within 30 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  return { operator, call: scimClient(operator.scimUrl, identity.token) };
}

/**
 * Waits until the controllers have written nothing for `quietMs`, or `timeoutMs` has passed. Returns whether they
 * went quiet, and the wall-clock time of the last write seen.
 */
export async function waitForIdle(
  operator: RunningOperator,
  { quietMs = 2000, timeoutMs = 600_000 } = {},
): Promise<{ idle: boolean; lastWrite: number }> {
  const deadline = Date.now() + timeoutMs;
  let count = operator.controllers.writes.length;
  let lastWrite = Date.now();
  for (;;) {
    await new Promise((r) => setTimeout(r, 50));
    const current = operator.controllers.writes.length;
    if (current !== count) {
      count = current;
      lastWrite = Date.now();
    } else if (Date.now() - lastWrite >= quietMs) {
      return { idle: true, lastWrite };
    }
    if (Date.now() > deadline) return { idle: false, lastWrite };
  }
}

/** Resolves once the controllers have written nothing for `quietMs`, with the time of the last write; throws after `timeoutMs`. */
export async function untilIdle(operator: RunningOperator, quietMs = 2000, timeoutMs = 600_000): Promise<number> {
  const { idle, lastWrite } = await waitForIdle(operator, { quietMs, timeoutMs });
  if (!idle) throw new Error(`the controllers were still writing after ${timeoutMs / 1000} s`);
  return lastWrite;
}
