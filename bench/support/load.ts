/**
 * A fixed-concurrency, fixed-duration HTTP load generator over keep-alive connections (what autocannon does, without
 * a dependency): `concurrency` workers each send the next request as soon as the previous one answers. Every server
 * the benchmarks compare is driven by this one client, so its own overhead is the same for all of them.
 */

import http from 'node:http';
import { percentile } from './measure.ts';

export interface LoadRequest {
  method: string;
  /** Path and query, appended to the base URL. */
  path: string;
  body?: unknown;
}

export interface LoadOptions {
  /** e.g. http://127.0.0.1:8080/scim/v2 */
  baseUrl: string;
  token: string;
  concurrency: number;
  durationMs: number;
  /** The k-th request of the run (k counts from 0 across all workers). */
  request(k: number): LoadRequest;
  /** Statuses that count as success; others are errors. */
  ok(status: number): boolean;
}

export interface LoadResult {
  requests: number;
  errors: number;
  /** Completed requests (success or error) per second of the run. */
  perSecond: number;
  p50: number;
  p99: number;
  /** The first error seen, for the report. */
  firstError?: string;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const base = new URL(options.baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let next = 0;
  const started = performance.now();
  const deadline = started + options.durationMs;
  const send = (req: LoadRequest) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const payload = req.body === undefined ? undefined : JSON.stringify(req.body);
      const outgoing = http.request(
        {
          agent,
          host: base.hostname,
          port: base.port,
          method: req.method,
          path: `${base.pathname}${req.path}`,
          headers: {
            authorization: `Bearer ${options.token}`,
            accept: 'application/scim+json',
            ...(payload === undefined
              ? {}
              : { 'content-type': 'application/scim+json', 'content-length': Buffer.byteLength(payload) }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
          res.on('error', reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(payload);
    });
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (performance.now() < deadline) {
        const req = options.request(next++);
        const sent = performance.now();
        try {
          const { status, text } = await send(req);
          if (!options.ok(status)) {
            errors++;
            firstError ??= `${req.method} ${req.path} -> ${status} ${text.slice(0, 200)}`;
          }
        } catch (err) {
          errors++;
          firstError ??= `${req.method} ${req.path} -> ${(err as Error).message}`;
        }
        latencies.push(performance.now() - sent);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return {
    requests: latencies.length,
    errors,
    perSecond: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    firstError,
  };
}
