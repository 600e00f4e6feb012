import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * Supervision of the etcd and kube-apiserver processes, so that none outlives the run that started it:
 * - each runs in its own process group behind a bash watchdog that kills the group when the owner process
 *   (the test runner or `scim-operator dev`) disappears, even by SIGKILL;
 * - each run records its owner and process groups under `<cache>/runs/<owner pid>/`, and the next start
 *   kills the groups of runs whose owner is gone.
 */

export function runsDirectory(env: NodeJS.ProcessEnv = process.env): string {
  const cache =
    env.SCIM_OPERATOR_CACHE ?? path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'scim-operator');
  return path.join(cache, 'runs');
}

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

/** Kills the process groups of earlier runs whose owner died without stopping them. */
export async function reapStaleRuns(runs: string): Promise<number> {
  await mkdir(runs, { recursive: true });
  let reaped = 0;
  for (const entry of await readdir(runs)) {
    const owner = Number(entry);
    if (!Number.isInteger(owner) || (owner !== process.pid && alive(owner))) continue;
    if (owner === process.pid) continue;
    const dir = path.join(runs, entry);
    for (const file of await readdir(dir).catch(() => [] as string[])) {
      if (!file.endsWith('.pgid')) continue;
      const pgid = Number(await readFile(path.join(dir, file), 'utf8'));
      if (Number.isInteger(pgid) && pgid > 0) {
        killGroup(pgid, 'SIGKILL');
        reaped++;
      }
    }
    await rm(dir, { recursive: true, force: true });
  }
  return reaped;
}

export interface Supervised {
  name: string;
  /** The bash watchdog, leader of the process group. */
  child: ChildProcess;
  /** Pid of the command itself (not its watchdog), for signals aimed at it alone such as SIGSTOP. */
  pid(): Promise<number>;
  /** Resolves once the process has exited. */
  exited: Promise<number | null>;
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * Starts `command` in a new process group, output appended to `<logDir>/<name>.log`, recorded under the run
 * directory of this process.
 */
export async function startSupervised(
  name: string,
  command: string,
  args: string[],
  options: { logDir: string; runs: string },
): Promise<Supervised> {
  const runDir = path.join(options.runs, String(process.pid));
  await mkdir(runDir, { recursive: true });
  const log = createWriteStream(path.join(options.logDir, `${name}.log`), { flags: 'a' });
  // The watchdog is the group leader: it starts the command, then polls the owner and tears the group down
  // when the owner is gone, because Node offers no parent-death signal.
  const pidFile = path.join(runDir, `${name}.pid`);
  await rm(pidFile, { force: true });
  const watchdog = [
    'pidfile=$1; shift',
    '"$@" & child=$!',
    'echo $child > "$pidfile"',
    "trap 'kill -TERM $child 2>/dev/null; wait $child; exit' TERM INT",
    `while kill -0 ${process.pid} 2>/dev/null && kill -0 $child 2>/dev/null; do sleep 1; done`,
    'kill -TERM $child 2>/dev/null; sleep 2; kill -KILL $child 2>/dev/null; wait $child',
  ].join('\n');
  const child = spawn('bash', ['-c', watchdog, name, pidFile, command, ...args], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const pgid = child.pid;
  if (pgid === undefined) throw new Error(`could not start ${name}`);
  await writeFile(path.join(runDir, `${name}.pgid`), String(pgid));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    name,
    child,
    exited,
    async pid() {
      const deadline = Date.now() + 5_000;
      for (;;) {
        const pid = Number(await readFile(pidFile, 'utf8').catch(() => ''));
        if (Number.isInteger(pid) && pid > 0) return pid;
        if (Date.now() > deadline) throw new Error(`${name}: the watchdog recorded no pid`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop(timeoutMs = 10_000) {
      if (child.exitCode === null && child.signalCode === null) {
        killGroup(pgid, 'SIGTERM');
        // A paused (SIGSTOP) command would hold its TERM pending until the SIGKILL below.
        killGroup(pgid, 'SIGCONT');
        const timer = setTimeout(() => killGroup(pgid, 'SIGKILL'), timeoutMs);
        await exited;
        clearTimeout(timer);
      }
      // The group may hold stragglers after the leader exits.
      killGroup(pgid, 'SIGKILL');
      await rm(path.join(runDir, `${name}.pgid`), { force: true });
      await rm(pidFile, { force: true });
    },
  };
}

export async function removeRunRecord(runs: string): Promise<void> {
  await rm(path.join(runs, String(process.pid)), { recursive: true, force: true });
}
