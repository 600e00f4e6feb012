import { type ChildProcess, spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../../src/control-plane/control-plane.ts';
import type { TcpProxy } from '../support/tcp-proxy.ts';

const cli = path.resolve(import.meta.dirname, '../../src/cli.ts');
const CRASH_RESTART_MS = 2_000;

export interface Replica {
  index: number;
  scimUrl: string;
  metricsUrl: string;
  readyzUrl: string;
  /** Between this replica and the API server. */
  proxy: TcpProxy;
  child?: ChildProcess;
}

export interface ReplicaExit {
  replica: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
  /** True when the suite killed it. */
  killed: boolean;
}

/** When a replica's metrics were read and whether it then held a token for the connection. */
export interface TokenSample {
  replica: number;
  at: number;
  knowsToken: boolean;
}

export interface ReplicaSetOptions {
  kubeconfigs: string[];
  proxies: TcpProxy[];
  configFile: string;
  tokenSecret: string;
  connection: string;
  logDir: string;
  requestTimeoutMs: number;
}

/**
 * Operator replicas as separate OS processes (`node src/cli.ts run`), each on fixed ports so that a restarted
 * replica is reachable where the old one was, each talking to the API server through its own proxy. Records every
 * exit, restarts a replica that exited on its own after 2 s, and samples each replica's token knowledge and leadership from its /metrics.
 */
export class ReplicaSet {
  readonly replicas: Replica[] = [];
  readonly exits: ReplicaExit[] = [];
  readonly tokenSamples: TokenSample[] = [];
  private readonly killing = new Set<ChildProcess>();
  private sampling: NodeJS.Timeout | undefined;
  private sampled = false;
  private restarting = true;
  private readonly options: ReplicaSetOptions;

  private constructor(options: ReplicaSetOptions) {
    this.options = options;
  }

  static async create(options: ReplicaSetOptions): Promise<ReplicaSet> {
    const set = new ReplicaSet(options);
    for (const [index, proxy] of options.proxies.entries()) {
      const [scimPort, metricsPort] = [await freePort(), await freePort()];
      set.replicas.push({
        index,
        proxy,
        scimUrl: `http://127.0.0.1:${scimPort}/scim/v2`,
        metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
        readyzUrl: `http://127.0.0.1:${metricsPort}/readyz`,
      });
    }
    return set;
  }

  /** Starts the replica unless it is running. */
  start(index: number): void {
    if (this.running(index)) return;
    const replica = this.replica(index);
    const { options } = this;
    const scimPort = new URL(replica.scimUrl).port;
    const metricsPort = new URL(replica.metricsUrl).port;
    const log = openSync(path.join(options.logDir, `replica-${index}.log`), 'a');
    const child = spawn(
      process.execPath,
      [
        cli,
        'run',
        `--kubeconfig=${options.kubeconfigs[index]}`,
        `--scim-address=127.0.0.1:${scimPort}`,
        `--metrics-address=127.0.0.1:${metricsPort}`,
        `--token-secret=${options.tokenSecret}`,
        `--config=${options.configFile}`,
        `--request-timeout=${options.requestTimeoutMs}`,
        '--log-level=info',
      ],
      { stdio: ['ignore', log, log] },
    );
    child.on('exit', (code, signal) => {
      const killed = this.killing.has(child);
      this.exits.push({ replica: index, code, signal, at: Date.now(), killed });
      // As the kubelet restarts a crashed container (without its back-off): the exit is recorded, the run goes on.
      if (!killed && this.restarting) setTimeout(() => this.restarting && this.start(index), CRASH_RESTART_MS);
    });
    replica.child = child;
  }

  /** SIGKILL, as a node failure or OOM kill would; resolves once the process is gone. */
  async kill(index: number): Promise<void> {
    const child = this.replica(index).child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.killing.add(child);
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await gone;
  }

  running(index: number): boolean {
    const child = this.replica(index).child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  async metrics(index: number): Promise<string | undefined> {
    try {
      const res = await fetch(this.replica(index).metricsUrl, { signal: AbortSignal.timeout(2_000) });
      return res.ok ? await res.text() : undefined;
    } catch {
      return undefined;
    }
  }

  async isReady(index: number): Promise<boolean> {
    try {
      return (await fetch(this.replica(index).readyzUrl, { signal: AbortSignal.timeout(2_000) })).ok;
    } catch {
      return false;
    }
  }

  /** The replicas whose metrics say they hold the Lease. */
  async leaders(): Promise<number[]> {
    const out: number[] = [];
    for (const r of this.replicas) {
      const text = await this.metrics(r.index);
      if (text && /^leader_election_master_status\{name="scim-operator-leader"\} 1$/m.test(text)) out.push(r.index);
    }
    return out;
  }

  /** Samples every replica's token gauge every `everyMs` until `stopSampling()`. */
  startSampling(everyMs = 250): void {
    const gauge = new RegExp(`^scim_operator_scim_tokens\\{connection="${this.options.connection}"\\} ([0-9.]+)$`, 'm');
    const sample = async () => {
      for (const r of this.replicas) {
        const text = await this.metrics(r.index);
        if (text === undefined) continue;
        const count = Number(gauge.exec(text)?.[1] ?? 0);
        this.tokenSamples.push({ replica: r.index, at: Date.now(), knowsToken: count > 0 });
      }
      if (this.sampled) this.sampling = setTimeout(sample, everyMs);
    };
    this.sampled = true;
    this.sampling = setTimeout(sample, 0);
  }

  stopSampling(): void {
    this.sampled = false;
    clearTimeout(this.sampling);
  }

  async stopAll(): Promise<void> {
    this.restarting = false;
    this.stopSampling();
    for (const r of this.replicas) {
      const child = r.child;
      if (!child || child.exitCode !== null || child.signalCode !== null) continue;
      this.killing.add(child);
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    }
  }

  private replica(index: number): Replica {
    const replica = this.replicas[index];
    if (!replica) throw new Error(`no replica ${index}`);
    return replica;
  }
}
