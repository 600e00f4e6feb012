import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Metrics of the requests to downstream SCIM apps and of the accounts there, on the operator's registry. */
export class DownstreamMetrics {
  readonly requests: Counter<'app' | 'method' | 'code'>;
  readonly duration: Histogram<'app' | 'method'>;

  constructor(registry: Registry, accountsByState: () => Map<string, Record<string, number>>) {
    this.requests = new Counter({
      name: 'scim_operator_downstream_requests_total',
      help: 'Requests to downstream SCIM apps by app, method and status code (or error code when none came back).',
      labelNames: ['app', 'method', 'code'] as const,
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'scim_operator_downstream_request_duration_seconds',
      help: 'Latency of requests to downstream SCIM apps.',
      labelNames: ['app', 'method'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
    new Gauge({
      name: 'scim_operator_downstream_accounts',
      help: 'Downstream accounts by app and state (Pending, Provisioned, Deprovisioned, Failed).',
      labelNames: ['app', 'state'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const [app, counts] of accountsByState())
          for (const [state, n] of Object.entries(counts)) this.set({ app, state }, n);
      },
    });
  }

  observe(app: string, method: string, code: string, seconds: number): void {
    this.requests.inc({ app, method, code });
    if (seconds > 0) this.duration.observe({ app, method }, seconds);
  }
}
