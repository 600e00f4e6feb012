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

  /** Set by the composition root: the token Secret's state and every state it can take. */
  tokenSecret: () => { state: string; states: readonly string[] } | undefined = () => undefined;
  readonly tokenSecretState = new Gauge({
    name: 'scim_operator_token_secret_state',
    help: 'The SCIM token Secret: 1 for its current state (unknown, forbidden, missing, empty, ok), 0 for the others.',
    labelNames: ['state'] as const,
    registers: [this.registry],
    collect: () => {
      const current = this.tokenSecret();
      if (!current) return;
      for (const state of current.states) this.tokenSecretState.set({ state }, state === current.state ? 1 : 0);
    },
  });
  /** Set by the composition root: tokens below the entropy floor, by connection. */
  weakTokens: () => Map<string, number> = () => new Map();
  readonly weakTokenKeys = new Gauge({
    name: 'scim_operator_scim_weak_tokens',
    help: 'SCIM bearer tokens with less than 256 bits of estimated entropy, by connection (accepted; rotate them).',
    labelNames: ['connection'] as const,
    registers: [this.registry],
    collect: () => {
      this.weakTokenKeys.reset();
      for (const [connection, n] of this.weakTokens()) this.weakTokenKeys.set({ connection }, n);
    },
  });
  /** Set by the composition root: whether the API server answered its last probes. */
  apiServerReachable: () => boolean | undefined = () => undefined;
  readonly apiServerUp = new Gauge({
    name: 'scim_operator_api_server_reachable',
    help: 'Whether the Kubernetes API server answers its /readyz probe (1) or not (0); SCIM answers 503 while it does not.',
    registers: [this.registry],
    collect: () => {
      const up = this.apiServerReachable();
      if (up !== undefined) this.apiServerUp.set(up ? 1 : 0);
    },
  });
  /** Set by the composition root: the informers that are failing to list or watch right now. */
  failingInformers: () => string[] = () => [];
  readonly informersFailing = new Gauge({
    name: 'scim_operator_informer_failing',
    help: 'Informers whose last list or watch failed (1); they retry with backoff and serve their last state meanwhile.',
    labelNames: ['informer'] as const,
    registers: [this.registry],
    collect: () => {
      this.informersFailing.reset();
      for (const informer of this.failingInformers()) this.informersFailing.set({ informer }, 1);
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
