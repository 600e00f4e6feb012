/**
 * The operator as a process of its own (`node src/cli.ts run`), as a pod runs it, so that its memory is the
 * operator's alone: not the benchmark's, not the control plane's (which `npm run dev` runs beside it). Reads its
 * /metrics and the kernel's view of its memory (/proc/<pid>/status: VmRSS now, VmHWM the peak). `cli` runs another
 * checkout's operator instead of this one's, to compare two revisions on one directory.
 */

import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { freePort } from '../../src/control-plane/control-plane.ts';
import { runsDirectory, type Supervised, startSupervised } from '../../src/control-plane/processes.ts';
import type { OperatorIdentity } from './cluster.ts';

const ourCli = path.resolve(import.meta.dirname, '../../src/cli.ts');

export interface OperatorProcess {
  pid: number;
  metricsUrl: string;
  /** The Prometheus text of /metrics, parsed to name{labels} -> value; undefined while it does not answer. */
  metrics(): Promise<Map<string, number> | undefined>;
  /** VmRSS and VmHWM from /proc, in bytes. */
  kernelMemory(): Promise<{ rss: number; peak: number }>;
  /** Asks the process for a heap snapshot (it starts with --heapsnapshot-signal=SIGUSR2); written to `dir`. */
  heapSnapshot(): void;
  stop(): Promise<void>;
}

export async function startOperatorProcess(
  identity: OperatorIdentity,
  options: { dir: string; name: string; nodeOptions?: string[]; cli?: string },
): Promise<OperatorProcess> {
  const config = path.join(options.dir, `${options.name}.yaml`);
  await writeFile(config, `leaderElection:\n  namespace: ${identity.namespace}\n`);
  const [scimPort, metricsPort] = [await freePort(), await freePort()];
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  const supervised: Supervised = await startSupervised(
    options.name,
    process.execPath,
    [
      '--heapsnapshot-signal=SIGUSR2',
      `--diagnostic-dir=${options.dir}`,
      ...(options.nodeOptions ?? []),
      options.cli ?? ourCli,
      'run',
      `--kubeconfig=${identity.kubeconfig}`,
      `--scim-address=127.0.0.1:${scimPort}`,
      `--metrics-address=127.0.0.1:${metricsPort}`,
      `--token-secret=${identity.namespace}/scim-tokens`,
      `--config=${config}`,
      '--log-level=warn',
    ],
    { logDir: options.dir, runs: runsDirectory() },
  );
  const pid = await supervised.pid();
  return {
    pid,
    metricsUrl,
    async metrics() {
      try {
        const res = await fetch(metricsUrl, { signal: AbortSignal.timeout(5_000) });
        return res.ok ? parseMetrics(await res.text()) : undefined;
      } catch {
        return undefined;
      }
    },
    async kernelMemory() {
      const { readFile } = await import('node:fs/promises');
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
      return { rss: kib('VmRSS'), peak: kib('VmHWM') };
    },
    heapSnapshot: () => process.kill(pid, 'SIGUSR2'),
    stop: () => supervised.stop(),
  };
}

export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}

/** The sum of every series of `name`, whatever its labels. */
export function metricSum(metrics: Map<string, number>, name: string): number {
  let sum = 0;
  for (const [key, value] of metrics) if (key === name || key.startsWith(`${name}{`)) sum += value;
  return sum;
}
