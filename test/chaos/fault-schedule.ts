import type { Random } from './seeded-random.ts';

/** One fault of the chaos run, with its parameters drawn from the seed. */
export type Fault =
  | { kind: 'kill-leader'; restartAfterMs: number }
  | { kind: 'pause-apiserver'; pauseMs: number }
  | { kind: 'restart-apiserver' }
  | { kind: 'restart-etcd' }
  | { kind: 'reset-connections'; replicas: number[]; times: number }
  | { kind: 'delay-connections'; replicas: number[]; latencyMs: number; forMs: number }
  | { kind: 'recreate-token-secret'; missingForMs: number };

export interface ScheduledFault {
  /** Pause before this fault starts, after the previous one has ended (the first: after the load starts). */
  gapMs: number;
  fault: Fault;
}

/**
 * The faults of one run, in order: each kind the brief names at least once, the leader killed twice and the
 * network faults twice, shuffled and spaced by the seed. Faults never overlap, so each one's effect can be read
 * from the run's timeline; the whole schedule stays under about two minutes of injected faults.
 */
export function planFaults(random: Random, replicaCount: number): ScheduledFault[] {
  const someReplicas = () => (random.next() < 0.5 ? [random.int(0, replicaCount - 1)] : [0, 1]);
  const faults: Fault[] = [
    { kind: 'kill-leader', restartAfterMs: random.int(1_000, 5_000) },
    { kind: 'kill-leader', restartAfterMs: random.int(1_000, 5_000) },
    { kind: 'pause-apiserver', pauseMs: random.int(5_000, 20_000) },
    { kind: 'restart-apiserver' },
    { kind: 'restart-etcd' },
    { kind: 'reset-connections', replicas: someReplicas(), times: random.int(1, 4) },
    { kind: 'reset-connections', replicas: someReplicas(), times: random.int(1, 4) },
    {
      kind: 'delay-connections',
      replicas: someReplicas(),
      latencyMs: random.int(100, 1_500),
      forMs: random.int(3_000, 10_000),
    },
    {
      kind: 'delay-connections',
      replicas: someReplicas(),
      latencyMs: random.int(100, 1_500),
      forMs: random.int(3_000, 10_000),
    },
    { kind: 'recreate-token-secret', missingForMs: random.int(1_000, 6_000) },
  ];
  return random
    .shuffle(faults)
    .map((fault, i) => ({ gapMs: i === 0 ? random.int(3_000, 6_000) : random.int(2_000, 6_000), fault }));
}

export function describeFault(fault: Fault): string {
  switch (fault.kind) {
    case 'kill-leader':
      return `SIGKILL the leader replica, restart it after ${fault.restartAfterMs} ms`;
    case 'pause-apiserver':
      return `SIGSTOP kube-apiserver for ${fault.pauseMs} ms, then SIGCONT`;
    case 'restart-apiserver':
      return 'restart kube-apiserver (same port)';
    case 'restart-etcd':
      return 'restart etcd (same port and data dir)';
    case 'reset-connections':
      return `reset the API-server connections of replica(s) ${fault.replicas.join(',')} ${fault.times}×, 1 s apart`;
    case 'delay-connections':
      return `add ${fault.latencyMs} ms latency to replica(s) ${fault.replicas.join(',')} for ${fault.forMs} ms`;
    case 'recreate-token-secret':
      return `delete the token Secret, re-create it with the same key after ${fault.missingForMs} ms`;
  }
}
