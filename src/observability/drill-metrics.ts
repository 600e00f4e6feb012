import { Gauge, type Registry } from 'prom-client';

/** The deprovisioning drill's outcome, set after each run (src/controllers/drill/). */
export class DrillMetrics {
  readonly revocationSeconds: Gauge;
  readonly success: Gauge;
  readonly lastRun: Gauge;

  constructor(registry: Registry) {
    this.revocationSeconds = new Gauge({
      name: 'scim_operator_drill_revocation_seconds',
      help: "Seconds from the drill canary's deactivation until the authorizer denied it, in the last successful drill.",
      registers: [registry],
    });
    this.success = new Gauge({
      name: 'scim_operator_drill_success',
      help: 'Whether the last deprovisioning drill proved revocation end to end (1) or failed (0).',
      registers: [registry],
    });
    this.lastRun = new Gauge({
      name: 'scim_operator_drill_last_run_timestamp_seconds',
      help: 'When the last deprovisioning drill finished (Unix time).',
      registers: [registry],
    });
  }

  record(result: { ok: boolean; revocationSeconds?: number }, now: Date): void {
    this.success.set(result.ok ? 1 : 0);
    if (result.ok && result.revocationSeconds !== undefined) this.revocationSeconds.set(result.revocationSeconds);
    this.lastRun.set(now.getTime() / 1000);
  }
}
