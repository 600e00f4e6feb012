import https from 'node:https';
import { type Supervised, startSupervised } from './processes.ts';

/**
 * One supervised control-plane process that can be paused, resumed and restarted with the same arguments (ports,
 * data dir, certificates), so that fault-injection suites can treat it as a real node would: frozen, restarted,
 * or crashed and brought back.
 */
export interface Component {
  readonly name: string;
  /** Pid of the running binary (not its watchdog). */
  pid(): Promise<number>;
  /** SIGSTOP: the process keeps its sockets but answers nothing, like a frozen VM. */
  pause(): Promise<void>;
  /** SIGCONT after `pause()`. */
  resume(): Promise<void>;
  /** Stops the process (SIGTERM, then SIGKILL) and starts it again with the same arguments; resolves once ready. */
  restart(): Promise<void>;
  /** Resolves when the current process exits. */
  exited(): Promise<number | null>;
  stop(): Promise<void>;
}

export interface ComponentSpec {
  name: string;
  command: string;
  args: string[];
  /** Readiness probe after a (re)start; the component counts as ready at once without one. */
  ready?: () => Promise<boolean>;
  readyTimeoutMs?: number;
}

export async function waitFor(
  what: string,
  timeoutMs: number,
  probe: () => Promise<boolean>,
  died?: Promise<unknown>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let dead = false;
  void died?.then(() => {
    dead = true;
  });
  while (Date.now() < deadline) {
    if (dead) throw new Error(`${what}: the process exited during start-up`);
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: not ready after ${timeoutMs / 1000} s`);
}

export function httpsOk(url: string, ca: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = https.get(url, { ca, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

/** Starts the component and waits until its probe answers. */
export async function startComponent(
  spec: ComponentSpec,
  options: { logDir: string; runs: string },
): Promise<Component> {
  let current: Supervised;
  let paused = false;
  const start = async () => {
    current = await startSupervised(spec.name, spec.command, spec.args, options);
    try {
      if (spec.ready) await waitFor(spec.name, spec.readyTimeoutMs ?? 90_000, spec.ready, current.exited);
    } catch (err) {
      await current.stop();
      throw err;
    }
  };
  const signal = async (sig: NodeJS.Signals) => process.kill(await current.pid(), sig);
  await start();
  return {
    name: spec.name,
    pid: () => current.pid(),
    async pause() {
      await signal('SIGSTOP');
      paused = true;
    },
    async resume() {
      await signal('SIGCONT');
      paused = false;
    },
    async restart() {
      await current.stop();
      paused = false;
      await start();
    },
    exited: () => current.exited,
    async stop() {
      if (paused) await signal('SIGCONT').catch(() => {});
      await current.stop();
    },
  };
}
