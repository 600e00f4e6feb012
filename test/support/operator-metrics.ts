import { GRANT_STATUS_SETTLE_MS } from '../../src/controllers/identity-status/wiring.ts';

/**
 * The operator's own counters, read from its `/metrics` endpoint, so a test can wait for an event (a reconcile ran, the
 * queues drained) instead of sleeping and then asserting that nothing happened.
 */

export interface MetricSamples {
  /** The sum of every sample of `name` whose labels include `labels`; 0 when there is none. */
  sum(name: string, labels?: Record<string, string>): number;
  /** Whether the exposition holds any sample of `name`. */
  has(name: string): boolean;
}

/** Scrapes the Prometheus text exposition at `metricsUrl` (the operator's `RunningOperator.metricsUrl`). */
export async function scrapeMetrics(metricsUrl: string): Promise<MetricSamples> {
  const res = await fetch(metricsUrl);
  if (!res.ok) throw new Error(`GET ${metricsUrl} answered ${res.status}`);
  return parseExposition(await res.text());
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseExposition(text: string): MetricSamples {
  const samples: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    const match = SAMPLE.exec(line);
    if (!match || line.startsWith('#')) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(LABEL)) labels[key!] = value!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return {
    sum: (name, wanted = {}) =>
      samples
        .filter((s) => s.name === name && Object.entries(wanted).every(([k, v]) => s.labels[k] === v))
        .reduce((total, s) => total + s.value, 0),
    has: (name) => samples.some((s) => s.name === name),
  };
}

/** Reconciles finished so far (`controller_runtime_reconcile_total`, every result), of one controller or of all. */
export function reconciles(samples: MetricSamples, controller?: string): number {
  return samples.sum('controller_runtime_reconcile_total', controller ? { controller } : {});
}

/**
 * No key waits in any work queue and no worker holds one. Keys waiting for a delayed requeue (`requeueAfter`, backoff)
 * are not counted, as in client-go's `workqueue_depth`.
 */
export function queuesDrained(samples: MetricSamples): boolean {
  // A renamed metric must fail the test, not read as an empty queue.
  for (const name of ['workqueue_depth', 'controller_runtime_active_workers']) {
    if (!samples.has(name)) throw new Error(`the operator exposes no ${name}`);
  }
  return samples.sum('workqueue_depth') === 0 && samples.sum('controller_runtime_active_workers') === 0;
}

/**
 * Waits until the controllers are idle and stay so: the queues drained, and no reconcile and no write (as counted by
 * `writes`) for `quietMs`. The window is longer than any delay a controller holds a write for (a user's grant change
 * settles `GRANT_STATUS_SETTLE_MS` before its status is written, as a delayed requeue that `queuesDrained` does not
 * see), so that a write still held is not mistaken for one caused by what the test does next. Returns the last
 * samples.
 */
export async function waitUntilSettled(
  metricsUrl: string,
  options: { writes: (samples: MetricSamples) => number; quietMs?: number; timeoutMs?: number },
): Promise<MetricSamples> {
  const quietMs = options.quietMs ?? GRANT_STATUS_SETTLE_MS + 1_000;
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  let snapshot = '';
  let since = Date.now();
  for (;;) {
    const samples = await scrapeMetrics(metricsUrl);
    const now = `${reconciles(samples)} reconciles, ${options.writes(samples)} writes`;
    if (!queuesDrained(samples) || now !== snapshot) {
      snapshot = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) {
      return samples;
    }
    if (Date.now() > deadline) throw new Error(`the controllers did not settle (${snapshot})`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
