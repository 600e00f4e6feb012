/**
 * The chart README's memory sizing ("Resources"), for the benchmarks to run the operator as the chart would at their
 * size: the image sets `NODE_OPTIONS=--max-old-space-size-percentage=75`, so in a pod with limit L V8's old space is
 * capped at 0.75 × L. Outside a cgroup that percentage is of the machine's memory, so a benchmark passes
 * `--max-old-space-size=<0.75 × L in MiB>` instead. The sizes are read from the README's template, so the table users
 * read and the limits the benchmarks measure cannot drift apart.
 */

import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface MemorySizing {
  /** Up to this many users (with N/20 groups and ~6 memberships each). */
  users: number;
  requestMiB: number;
  limitMiB: number;
}

const README = path.resolve(import.meta.dirname, '../../charts/scim-operator/README.md.gotmpl');

/** Rows of the README's Resources table, smallest first: `| Users | Groups | ... | request | limit |`. */
export function chartMemorySizing(readme = readFileSync(README, 'utf8')): MemorySizing[] {
  const section = readme.split(/^## /m).find((s) => s.startsWith('Resources')) ?? '';
  const rows: MemorySizing[] = [];
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const users = Number(cells[1]?.replaceAll(',', ''));
    const [request, limit] = [cells.at(-3), cells.at(-2)].map(quantityMiB);
    if (Number.isInteger(users) && users > 0 && request !== undefined && limit !== undefined)
      rows.push({ users, requestMiB: request, limitMiB: limit });
  }
  if (rows.length === 0) throw new Error(`no memory sizing table under "## Resources" in ${README}`);
  return rows.sort((a, b) => a.users - b.users);
}

/** `768Mi` or `1536Mi (default)` or `2Gi` in MiB; undefined for anything else. */
function quantityMiB(cell: string | undefined): number | undefined {
  const match = /^(\d+)(Mi|Gi)\b/.exec(cell ?? '');
  if (!match) return undefined;
  return Number(match[1]) * (match[2] === 'Gi' ? 1024 : 1);
}

/** The share of the memory limit the image gives V8's old space (`--max-old-space-size-percentage=75`). */
export const HEAP_SHARE_OF_LIMIT = 0.75;

/** The README's memory limit for a directory of `users`: the first row that holds it, else the largest row. */
export function recommendedMemoryLimitMiB(users: number, sizing = chartMemorySizing()): number {
  const row = sizing.find((r) => users <= r.users) ?? sizing.at(-1);
  return (row as MemorySizing).limitMiB;
}

/** V8's old-space cap in a pod whose memory limit is `limitMiB`. */
export function heapCapMiB(limitMiB: number): number {
  return Math.floor(limitMiB * HEAP_SHARE_OF_LIMIT);
}

/**
 * The memory limit a benchmark runs the operator under: `BENCH_OPERATOR_MEMORY_MIB` (a number of MiB, or `none` for
 * no heap cap at all), by default the README's recommendation for `users`. `undefined` means no cap.
 */
export function operatorMemoryLimitMiB(users: number, env = process.env.BENCH_OPERATOR_MEMORY_MIB): number | undefined {
  if (env === undefined || env === '') return recommendedMemoryLimitMiB(users);
  if (env === 'none') return undefined;
  const mib = Number(env);
  if (!Number.isInteger(mib) || mib <= 0)
    throw new Error(`BENCH_OPERATOR_MEMORY_MIB must be a number of MiB or "none", not ${env}`);
  return mib;
}

/** The node flag that caps the heap as the image would under `limitMiB`; none without a limit. */
export function heapCapFlags(limitMiB: number | undefined): string[] {
  return limitMiB === undefined ? [] : [`--max-old-space-size=${heapCapMiB(limitMiB)}`];
}

/** How a report names the cap, e.g. `heap capped at 1152 MiB (0.75 × a 1536 MiB limit)`. */
export function describeHeapCap(limitMiB: number | undefined): string {
  return limitMiB === undefined
    ? 'heap not capped (V8 sizes it from the machine)'
    : `heap capped at ${heapCapMiB(limitMiB)} MiB (${HEAP_SHARE_OF_LIMIT} × a ${limitMiB} MiB memory limit)`;
}
