import path from 'node:path';
import { freePort } from '../../src/control-plane/control-plane.ts';
import { runsDirectory, type Supervised, startSupervised } from '../../src/control-plane/processes.ts';
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
  /** Behind the control plane's watchdog, so that no replica outlives the test process, even on SIGKILL. */
  process?: Supervised;
  alive: boolean;
}

export interface ReplicaExit {
  replica: number;
  /** The exit status as the watchdog's shell reports it: 128 + n after signal n (137 after SIGKILL). */
  code: number | null;
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
  private readonly killing = new Set<Supervised>();
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
        alive: false,
      });
    }
    return set;
  }

  /** Starts the replica unless it is running. */
  async start(index: number): Promise<void> {
    const replica = this.replica(index);
    if (replica.alive) return;
    replica.alive = true;
    const { options } = this;
    const scimPort = new URL(replica.scimUrl).port;
    const metricsPort = new URL(replica.metricsUrl).port;
    const supervised = await startSupervised(
      `replica-${index}`,
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
      { logDir: options.logDir, runs: runsDirectory() },
    );
    replica.process = supervised;
    void supervised.exited.then(async (code) => {
      replica.alive = false;
      const killed = this.killing.has(supervised);
      this.exits.push({ replica: index, code, at: Date.now(), killed });
      await supervised.stop();
      // As the kubelet restarts a crashed container (without its back-off): the exit is recorded, the run goes on.
      if (!killed && this.restarting) {
        setTimeout(() => {
          if (this.restarting) void this.start(index);
        }, CRASH_RESTART_MS);
      }
    });
  }

  /** SIGKILL to the operator process itself, as a node failure or OOM kill would; resolves once it is gone. */
  async kill(index: number): Promise<void> {
    const supervised = this.replica(index).process;
    if (!supervised || !this.replica(index).alive) return;
    this.killing.add(supervised);
    process.kill(await supervised.pid(), 'SIGKILL');
    await supervised.exited;
  }

  running(index: number): boolean {
    return this.replica(index).alive;
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
      if (!r.process || !r.alive) continue;
      this.killing.add(r.process);
      await r.process.stop();
    }
  }

  private replica(index: number): Replica {
    const replica = this.replicas[index];
    if (!replica) throw new Error(`no replica ${index}`);
    return replica;
  }
}
