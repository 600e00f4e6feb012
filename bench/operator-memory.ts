/**
 * Operator memory by directory size (issue 15): the operator runs as a process of its own, with its controllers
 * leading, against a directory grown in steps (bench/support/directory-seed.ts: N users, N/20 groups, ~6 memberships
 * per user). At each size it is started afresh, and measured while it lists, syncs and reconciles (peak) and once
 * its controllers are idle (settled). Two sizes give a fixed base and a cost per user of that shape, from which the
 * chart's default request and limit are sized.
 *
 * BENCH_USERS=5000,20000 (the default) sets the sizes; BENCH_USERS=100000 measures the company of issue 15 directly
 * (~10 minutes of seeding on 2 cores). BENCH_HEAP_SNAPSHOT=1 writes a heap snapshot of the settled operator at each
 * size into the run directory (of this checkout's operator only). The operator's heap is capped as the chart's image
 * caps it in a pod with the chart README's memory limit for the size (bench/support/chart-memory.ts);
 * BENCH_OPERATOR_MEMORY_MIB=none,1536 runs it once per limit listed instead (`none`: no cap, V8 sizes the heap from
 * the machine). BENCH_NODE_OPTIONS passes further flags to the operator's node.
 * BENCH_BASE_CLI=<checkout>/src/cli.ts measures that checkout's operator too, on the same directory at each size,
 * for before/after figures; BENCH_CLI replaces this checkout's (e.g. with a frozen copy while this one is edited).
 */

import { mkdtemp, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describeHeapCap, heapCapFlags, operatorMemoryLimitMiB } from './support/chart-memory.ts';
import { prepareOperatorIdentity, startBenchCluster } from './support/cluster.ts';
import { DirectorySeed, type DirectorySize } from './support/directory-seed.ts';
import { log, printResults, type ResultRow } from './support/measure.ts';
import { metricSum, type OperatorProcess, startOperatorProcess } from './support/metered-operator.ts';

const sizes = (process.env.BENCH_USERS ?? '5000,20000').split(',').map(Number);
const heapSnapshots = process.env.BENCH_HEAP_SNAPSHOT === '1';
const nodeOptions = (process.env.BENCH_NODE_OPTIONS ?? '').split(' ').filter(Boolean);
/** The memory limits the operator runs under at each size (a heap cap of 0.75 of each; `none`, no cap). */
const memoryVariants = (process.env.BENCH_OPERATOR_MEMORY_MIB ?? '').split(',');
const describeVariant = (variant: string) =>
  variant === ''
    ? "heap capped for the chart README's memory limit at each size"
    : describeHeapCap(operatorMemoryLimitMiB(0, variant));
const baseCli = process.env.BENCH_BASE_CLI;
const thisCli = process.env.BENCH_CLI;
/** Controllers count as idle once no reconcile has started for this long and every queue is empty. */
const QUIET_MS = 10_000;
const SETTLE_SAMPLES = 5;

interface Measured {
  size: DirectorySize;
  /** The memory limit the heap was capped for; undefined when not capped. */
  limitMiB: number | undefined;
  syncSeconds: number;
  idleSeconds: number;
  peakRss: number;
  peakHeapUsed: number;
  settledRss: number;
  settledHeapUsed: number;
  settledHeapTotal: number;
  external: number;
  /** Heap used and RSS right after the full collection a heap snapshot runs (BENCH_HEAP_SNAPSHOT=1 only). */
  liveHeap?: number;
  rssAfterGc?: number;
}

const MiB = 1024 * 1024;
const mib = (bytes: number) => `${(bytes / MiB).toFixed(0)} MiB`;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

async function measure(
  operator: OperatorProcess,
  size: DirectorySize,
  limitMiB: number | undefined,
  dir: string,
  snapshot: boolean,
): Promise<Measured> {
  const started = Date.now();
  let peakHeapUsed = 0;
  let syncedAt: number | undefined;
  let reconciles = -1;
  let lastReconcileAt = Date.now();
  const deadline = Date.now() + 60 * 60_000;
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    if (Date.now() > deadline) throw new Error('the operator did not sync and go idle within an hour');
    const m = await operator.metrics();
    if (!m) continue;
    peakHeapUsed = Math.max(peakHeapUsed, m.get('nodejs_heap_size_used_bytes') ?? 0);
    const synced =
      m.get('leader_election_master_status{name="scim-operator-leader"}') === 1 &&
      metricSum(m, 'scim_operator_users') === size.users &&
      m.get('scim_operator_groups') === size.groups;
    if (!synced) continue;
    syncedAt ??= Date.now();
    const total = metricSum(m, 'controller_runtime_reconcile_total');
    if (total !== reconciles) {
      reconciles = total;
      lastReconcileAt = Date.now();
    } else if (metricSum(m, 'workqueue_depth') === 0 && Date.now() - lastReconcileAt >= QUIET_MS) break;
  }
  const idleAt = lastReconcileAt;
  const samples: Array<{ rss: number; used: number; total: number; external: number }> = [];
  while (samples.length < SETTLE_SAMPLES) {
    await new Promise((r) => setTimeout(r, 1000));
    const m = await operator.metrics();
    if (!m) continue;
    samples.push({
      rss: m.get('process_resident_memory_bytes') ?? Number.NaN,
      used: m.get('nodejs_heap_size_used_bytes') ?? Number.NaN,
      total: m.get('nodejs_heap_size_total_bytes') ?? Number.NaN,
      external: m.get('nodejs_external_memory_bytes') ?? Number.NaN,
    });
  }
  const kernel = await operator.kernelMemory();
  // Heap used includes garbage V8 has not collected yet (with a heap limit sized from the machine, it may wait
  // long): a heap snapshot runs a full collection first, so heap used after one is the live set.
  let liveHeap: number | undefined;
  let rssAfterGc: number | undefined;
  if (snapshot) {
    const before = new Set(await readdir(dir));
    operator.heapSnapshot();
    for (;;) {
      await new Promise((r) => setTimeout(r, 1000));
      const fresh = (await readdir(dir)).filter((f) => f.endsWith('.heapsnapshot') && !before.has(f));
      // The file appears while it is written; its writer is done once the operator answers /metrics again.
      const after = fresh.length > 0 ? await operator.metrics() : undefined;
      if (after) {
        log(`heap snapshot: ${path.join(dir, fresh[0]!)}`);
        liveHeap = after.get('nodejs_heap_size_used_bytes');
        rssAfterGc = after.get('process_resident_memory_bytes');
        break;
      }
    }
  }
  return {
    size,
    limitMiB,
    syncSeconds: ((syncedAt ?? idleAt) - started) / 1000,
    idleSeconds: (idleAt - started) / 1000,
    peakRss: kernel.peak,
    peakHeapUsed,
    settledRss: median(samples.map((s) => s.rss)),
    settledHeapUsed: median(samples.map((s) => s.used)),
    settledHeapTotal: median(samples.map((s) => s.total)),
    external: median(samples.map((s) => s.external)),
    liveHeap,
    rssAfterGc,
  };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'operator-memory-'));
  log(`run directory ${dir}`);
  const cluster = await startBenchCluster();
  /** Results by revision and heap cap, each series in size order. */
  const series = new Map<string, Measured[]>();
  try {
    const identity = await prepareOperatorIdentity(cluster);
    const seed = new DirectorySeed(cluster.admin, identity.connection);
    for (const users of sizes) {
      const t = Date.now();
      const size = await seed.grow(users);
      log(`seeded ${JSON.stringify(size)} in ${((Date.now() - t) / 1000).toFixed(0)} s`);
      const revisions: Array<['base' | 'this', string | undefined]> = [['this', thisCli]];
      if (baseCli) revisions.unshift(['base', baseCli]);
      for (const [revision, cli] of revisions) {
        for (const variant of memoryVariants) {
          const limitMiB = operatorMemoryLimitMiB(users, variant);
          const name = `operator-${revision}-${users}-${limitMiB ?? 'uncapped'}`;
          const operator = await startOperatorProcess(identity, {
            dir,
            name,
            nodeOptions: [...heapCapFlags(limitMiB), ...nodeOptions],
            cli,
          });
          try {
            const measured = await measure(operator, size, limitMiB, dir, heapSnapshots && revision === 'this');
            log(`${revision}: ${JSON.stringify(measured)}`);
            const title = `${revision === 'base' ? `base revision (${baseCli})` : 'this revision'}, ${describeVariant(variant)}`;
            series.set(title, [...(series.get(title) ?? []), measured]);
          } finally {
            await operator.stop();
          }
        }
      }
    }
  } finally {
    await cluster.stop();
  }
  for (const [title, results] of series)
    report(`Operator memory (a process of its own, controllers leading): ${title}`, results);
}

function report(title: string, results: Measured[]): void {
  const rows: ResultRow[] = results.map((r) => ({
    metric: `${r.size.users} users, ${r.size.groups} groups, ${r.size.memberships} memberships (${r.size.shards} shards); ${describeHeapCap(r.limitMiB)}`,
    measured:
      `RSS settled ${mib(r.settledRss)}, peak ${mib(r.peakRss)}; heap used settled ${mib(r.settledHeapUsed)}, ` +
      `peak ${mib(r.peakHeapUsed)} (heap total ${mib(r.settledHeapTotal)}, external ${mib(r.external)}); ` +
      `synced ${r.syncSeconds.toFixed(0)} s, idle ${r.idleSeconds.toFixed(0)} s after start` +
      (r.liveHeap === undefined
        ? ''
        : `; after a full GC: heap used ${mib(r.liveHeap)}, RSS ${mib(r.rssAfterGc ?? 0)}`),
  }));
  const notes: string[] = [];
  const [small, large] = [results[0], results.at(-1)];
  if (small && large && large.size.users > small.size.users) {
    const users = large.size.users - small.size.users;
    const per = (pick: (r: Measured) => number) => (pick(large) - pick(small)) / users;
    const base = (pick: (r: Measured) => number) => pick(small) - per(pick) * small.size.users;
    const company = 100_000;
    for (const [label, pick] of [
      ['RSS settled', (r: Measured) => r.settledRss],
      ['RSS peak', (r: Measured) => r.peakRss],
      ['heap used settled', (r: Measured) => r.settledHeapUsed],
    ] as const) {
      const projected = base(pick) + per(pick) * company;
      rows.push({
        metric: `${label}: base + per user (with its 1/20 group, ~6 memberships)`,
        measured: `${mib(base(pick))} + ${(per(pick) / 1024).toFixed(2)} KiB; 100,000 users and 5,000 groups: ${mib(projected)}`,
        ...(label === 'RSS peak' ? { goal: '< 1 GiB at 100,000 users', met: projected < 1024 * MiB } : {}),
      });
    }
  }
  if (heapSnapshots) notes.push('heap snapshots were taken after the settled samples');
  printResults(title, rows, notes);
}

await main();
