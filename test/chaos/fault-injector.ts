import type { ChaosCluster } from './chaos-cluster.ts';
import { describeFault, type Fault, type ScheduledFault } from './fault-schedule.ts';
import type { ReplicaSet } from './scim-replicas.ts';

const LEADER_WAIT_MS = 25_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface FaultRecord {
  description: string;
  startedAt: number;
  endedAt: number;
  /** What actually happened, e.g. which replica was the leader. */
  note: string;
}

/** When the token Secret was (or may have been) gone: from sending its deletion until its re-creation's reply. */
export interface SecretGap {
  deletedAt: number;
  recreatedAt: number;
}

/** Retries an admin call across API-server hiccups (the previous fault may still be settling). */
async function persist<T>(what: string, call: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await call();
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what}: ${(err as Error).message}`);
      await sleep(500);
    }
  }
}

/**
 * Runs the schedule, one fault at a time, against the control plane, the replicas and their proxies. Each fault
 * undoes itself before the next starts: a paused process is resumed, a killed replica restarted, latency removed,
 * the Secret re-created.
 */
export class FaultInjector {
  readonly records: FaultRecord[] = [];
  readonly secretGaps: SecretGap[] = [];
  private readonly cluster: ChaosCluster;
  private readonly replicas: ReplicaSet;
  private readonly log: (line: string) => void;

  constructor(cluster: ChaosCluster, replicas: ReplicaSet, log: (line: string) => void) {
    this.cluster = cluster;
    this.replicas = replicas;
    this.log = log;
  }

  async run(schedule: ScheduledFault[], keepGoing: () => boolean): Promise<void> {
    for (const { gapMs, fault } of schedule) {
      await sleep(gapMs);
      if (!keepGoing()) return;
      const startedAt = Date.now();
      this.log(`[chaos] +fault ${describeFault(fault)}`);
      const note = await this.inject(fault);
      this.records.push({ description: describeFault(fault), startedAt, endedAt: Date.now(), note });
      this.log(`[chaos] -fault ${describeFault(fault)} (${note}, ${Date.now() - startedAt} ms)`);
    }
  }

  private async inject(fault: Fault): Promise<string> {
    const { components } = this.cluster.plane;
    switch (fault.kind) {
      case 'kill-leader': {
        let leaders: number[] = [];
        // Longer than the Lease (15 s): after a kill of the leader, the standby leads only once the Lease expires.
        const deadline = Date.now() + LEADER_WAIT_MS;
        while (leaders.length === 0 && Date.now() < deadline) {
          leaders = await this.replicas.leaders();
          if (leaders.length === 0) await sleep(250);
        }
        const victim = leaders[0] ?? 0;
        await this.replicas.kill(victim);
        await sleep(fault.restartAfterMs);
        await this.replicas.start(victim);
        return leaders.length > 0
          ? `killed leader ${victim}`
          : `no leader within ${LEADER_WAIT_MS / 1000} s; killed replica ${victim}`;
      }
      case 'pause-apiserver': {
        await components.kubeApiserver.pause();
        await sleep(fault.pauseMs);
        await components.kubeApiserver.resume();
        return `paused pid ${await components.kubeApiserver.pid()}`;
      }
      case 'restart-apiserver':
        await components.kubeApiserver.restart();
        return 'restarted and ready';
      case 'restart-etcd':
        await components.etcd.restart();
        return 'restarted and healthy';
      case 'reset-connections': {
        let dropped = 0;
        for (let i = 0; i < fault.times; i++) {
          for (const r of fault.replicas) dropped += this.cluster.proxies[r]?.reset() ?? 0;
          await sleep(1_000);
        }
        return `${dropped} connections reset`;
      }
      case 'delay-connections': {
        for (const r of fault.replicas) this.cluster.proxies[r]!.latencyMs = fault.latencyMs;
        await sleep(fault.forMs);
        for (const r of fault.replicas) this.cluster.proxies[r]!.latencyMs = 0;
        return 'latency removed';
      }
      case 'recreate-token-secret': {
        const deletedAt = Date.now();
        await persist('delete the token Secret', () => this.cluster.deleteTokenSecret());
        await sleep(fault.missingForMs);
        await persist('re-create the token Secret', () => this.cluster.createTokenSecret());
        this.secretGaps.push({ deletedAt, recreatedAt: Date.now() });
        return 'Secret re-created';
      }
    }
  }
}
