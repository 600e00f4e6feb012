import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { HttpMetrics } from '../http/access-log.ts';

/**
 * Every metric the operator exports, on one registry. Names follow controller-runtime's where a dashboard already
 * knows them; ours are prefixed `scim_operator_`.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly scimRequests = new Counter({
    name: 'scim_operator_scim_requests_total',
    help: 'SCIM requests by resource, method and status code.',
    labelNames: ['resource', 'method', 'code'] as const,
    registers: [this.registry],
  });

  readonly scimRequestDuration = new Histogram({
    name: 'scim_operator_scim_request_duration_seconds',
    help: 'Duration of SCIM requests.',
    labelNames: ['resource', 'method'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly scimInFlight = new Gauge({
    name: 'scim_operator_scim_requests_in_flight',
    help: 'SCIM requests being served.',
    registers: [this.registry],
  });

  readonly tokenKeys = new Gauge({
    name: 'scim_operator_scim_tokens',
    help: 'Valid SCIM bearer tokens (keys of the token Secret) by connection.',
    labelNames: ['connection'] as const,
    registers: [this.registry],
  });

  /** Set by the composition root to read the token Secret's age at scrape time. */
  tokenAge: () => number | undefined = () => undefined;

  readonly tokenSecretAge = new Gauge({
    name: 'scim_operator_token_secret_age_seconds',
    help: 'Seconds since the SCIM token Secret was created or last marked rotated (annotation scim-operator.dev/rotated-at).',
    registers: [this.registry],
    collect: () => {
      const age = this.tokenAge();
      if (age !== undefined) this.tokenSecretAge.set(age);
    },
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  http(): HttpMetrics {
    return {
      observeRequest: (resource, method, code, seconds) => {
        this.scimRequests.inc({ resource, method, code: String(code) });
        this.scimRequestDuration.observe({ resource, method }, seconds);
      },
      inFlight: (delta) => this.scimInFlight.inc(delta),
    };
  }
}
