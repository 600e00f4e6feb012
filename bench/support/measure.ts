/** Sizes, concurrency, statistics and the result table every benchmark prints. */

import os from 'node:os';

/** BENCH_SCALE=0.1 shrinks every size for a quick smoke run; 1 (the default) is what docs/benchmarks.md reports. */
export const benchScale = Number(process.env.BENCH_SCALE ?? 1);

export function scaled(size: number, minimum = 1): number {
  return Math.max(minimum, Math.round(size * benchScale));
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` in flight. */
export async function inParallel(count: number, concurrency: number, task: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

export const elapsedMs = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e6;
export const now = () => process.hrtime.bigint();

/** Nearest-rank percentile of `samples` (milliseconds). */
export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] ?? Number.NaN;
}

export const ms = (value: number) => `${value.toFixed(value < 10 ? 2 : 1)} ms`;

export function latencySummary(samples: number[]): string {
  return `p50 ${ms(percentile(samples, 50))}, p99 ${ms(percentile(samples, 99))}, max ${ms(Math.max(...samples))} (n=${samples.length})`;
}

export interface ResultRow {
  metric: string;
  goal?: string;
  measured: string;
  /** Undefined when the row has no goal. */
  met?: boolean;
}

export function printResults(title: string, rows: ResultRow[], notes: string[] = []): void {
  const cells = rows.map((r) => [
    r.metric,
    r.goal ?? '',
    r.measured,
    r.met === undefined ? '' : r.met ? 'met' : 'MISSED',
  ]);
  const header = ['metric', 'goal', 'measured', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => `| ${c.map((v, i) => v.padEnd(widths[i]!)).join(' | ')} |`;
  const out = [
    '',
    `## ${title} (BENCH_SCALE=${benchScale}, ${new Date().toISOString()})`,
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...cells.map(line),
    ...notes.map((n) => `  ${n}`),
    // The machine is shared: a load average well above its core count means other work competed with this run.
    `  load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' / ')} (1/5/15 min) on ${os.cpus().length} cores`,
    '',
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

/** A markdown table with free columns, ending like printResults with the machine's load average. */
export function printTable(title: string, header: string[], rows: string[][], notes: string[] = []): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (c: string[]) => `| ${header.map((_, i) => (c[i] ?? '').padEnd(widths[i]!)).join(' | ')} |`;
  const out = [
    '',
    `## ${title} (BENCH_SCALE=${benchScale}, ${new Date().toISOString()})`,
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    ...notes.map((n) => `  ${n}`),
    `  load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' / ')} (1/5/15 min) on ${os.cpus().length} cores`,
    '',
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

export function log(message: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}
