/**
 * `npm run bench [-- name...]`: runs the benchmarks one after another, each in its own process with its own control
 * plane, and prints their result tables on stdout (progress goes to stderr). BENCH_SCALE=0.1 makes a quick smoke run.
 */

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const benchmarks = [
  'scim-create-throughput',
  'scim-filter-latency',
  'group-member-latency',
  'deprovision-latency',
  'convergence',
  'worst-requests',
  'leader-failover',
  'report',
];

/** Run only when named: `scale-100k` takes about 45 minutes (`npm run bench:100k` runs it too). */
const byNameOnly = ['scale-100k'];

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !benchmarks.includes(name) && !byNameOnly.includes(name));
if (unknown.length > 0) {
  process.stderr.write(
    `unknown benchmark(s): ${unknown.join(', ')}; choose from ${[...benchmarks, ...byNameOnly].join(', ')}\n`,
  );
  process.exit(2);
}

const started = Date.now();
const failed: string[] = [];
for (const name of wanted.length > 0 ? wanted : benchmarks) {
  process.stderr.write(`\n=== ${name}\n`);
  const file = fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
  const run = spawnSync(process.execPath, [file], { stdio: 'inherit' });
  if (run.status !== 0) failed.push(name);
}
process.stderr.write(`\nbenchmarks done in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
if (failed.length > 0) {
  process.stderr.write(`failed: ${failed.join(', ')}\n`);
  process.exit(1);
}
