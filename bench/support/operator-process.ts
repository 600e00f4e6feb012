/**
 * The operator as its own process (`node src/cli.ts run`, as the container runs it) with a prepared non-admin
 * identity, so that its memory is its own and is read from its `/metrics` like a Prometheus scrape would. Its heap is
 * capped as the chart's image would cap it under `memoryLimitMiB` (bench/support/chart-memory.ts), so its RSS is the
 * figure a pod sized from the chart README would show.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type MetricSamples, parseExposition } from '../../test/support/operator-metrics.ts';
import { heapCapFlags } from './chart-memory.ts';
import type { OperatorIdentity } from './cluster.ts';

export interface OperatorProcess {
  scimUrl: string;
  metricsUrl: string;
  token: string;
  pid: number;
  /** Its log (warnings and errors), for a failed run. */
  logFile: string;
  /** The memory limit its heap is capped for (0.75 of it), or undefined when the heap is not capped. */
  memoryLimitMiB: number | undefined;
  scrape(): Promise<MetricSamples>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Starts the operator and waits until it is ready and leads (its controllers run). `memoryLimitMiB` caps its heap at
 * 0.75 of it, as the image does in a pod with that limit; without it the heap is sized from the machine.
 */
export async function startOperatorProcess(
  identity: OperatorIdentity,
  logDir: string,
  options: { memoryLimitMiB?: number } = {},
): Promise<OperatorProcess> {
  const [scimPort, metricsPort] = [await freePort(), await freePort()];
  const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
  const logFile = path.join(logDir, `operator-${scimPort}.log`);
  const child: ChildProcess = spawn(
    process.execPath,
    [
      ...heapCapFlags(options.memoryLimitMiB),
      cli,
      'run',
      '--kubeconfig',
      identity.kubeconfig,
      '--scim-address',
      `127.0.0.1:${scimPort}`,
      '--metrics-address',
      `127.0.0.1:${metricsPort}`,
      // The Lease lives in the token Secret's namespace when no pod namespace is known.
      '--token-secret',
      `${identity.namespace}/scim-tokens`,
      '--log-level',
      process.env.BENCH_LOG_LEVEL ?? 'warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // An interrupted benchmark must not leave an operator behind (the control plane's watchdogs do the same for it).
  const orphanGuard = () => child.kill('SIGKILL');
  process.once('exit', orphanGuard);
  child.once('exit', () => process.off('exit', orphanGuard));
  const log = createWriteStream(logFile);
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  const scrape = async () => {
    const res = await fetch(metricsUrl);
    if (!res.ok) throw new Error(`GET ${metricsUrl} answered ${res.status}`);
    return parseExposition(await res.text());
  };
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 120_000;
  for (;;) {
    const ready = await fetch(`http://127.0.0.1:${metricsPort}/readyz`)
      .then((r) => r.status === 200)
      .catch(() => false);
    if (ready && (await scrape()).sum('leader_election_master_status') >= 1) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`the operator process did not become ready and lead; see ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    scimUrl: `http://127.0.0.1:${scimPort}/scim/v2`,
    metricsUrl,
    token: identity.token,
    pid: child.pid ?? 0,
    logFile,
    memoryLimitMiB: options.memoryLimitMiB,
    scrape,
    stop,
  };
}

export interface MemoryFigures {
  peakRss: number;
  peakHeap: number;
  lastRss: number;
  lastHeap: number;
}

/** Scrapes RSS and heap used once a second until stopped; a failed scrape is skipped, not fatal. */
export function sampleMemory(operator: OperatorProcess, everyMs = 1000) {
  const figures: MemoryFigures = { peakRss: 0, peakHeap: 0, lastRss: 0, lastHeap: 0 };
  const sample = async () => {
    try {
      const m = await operator.scrape();
      figures.lastRss = m.sum('process_resident_memory_bytes');
      figures.lastHeap = m.sum('nodejs_heap_size_used_bytes');
      figures.peakRss = Math.max(figures.peakRss, figures.lastRss);
      figures.peakHeap = Math.max(figures.peakHeap, figures.lastHeap);
    } catch {
      // The operator may be busy past a scrape; the next one counts.
    }
  };
  const timer = setInterval(sample, everyMs);
  return {
    figures,
    sample,
    stop: () => clearInterval(timer),
  };
}
