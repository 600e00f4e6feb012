import { DrillMetrics } from '../../observability/drill-metrics.ts';
import type { Product } from '../shared/product.ts';
import type { SharedInputs } from '../shared/shared-inputs.ts';
import { kubeDrillPorts } from './kube-ports.ts';
import { type DrillResult, runDrill } from './run-drill.ts';

/**
 * The deprovisioning drill (settings `drill`): on the leader, once at start and then every `intervalSeconds`, one
 * drill at a time. It has no informers and no queue: its workers are a timer. Each result is logged (with every
 * step's timing) and exported as metrics.
 */
export class DrillProduct implements Product {
  readonly name = 'drill';
  readonly informers: Product['informers'] = [];
  readonly workers: Product['workers'];
  private readonly shared: SharedInputs;
  private readonly metrics: DrillMetrics;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<DrillResult> | undefined;

  constructor(shared: SharedInputs) {
    this.shared = shared;
    this.metrics = new DrillMetrics(shared.metrics.registry);
    this.workers = {
      start: () => {
        if (this.timer) return;
        void this.runOnce();
        this.timer = setInterval(() => void this.runOnce(), shared.settings.drill.intervalSeconds * 1000);
      },
      stop: async () => {
        clearInterval(this.timer);
        this.timer = undefined;
        await this.running;
      },
    };
  }

  /** Runs one drill now, or joins the one running. */
  runOnce(): Promise<DrillResult> {
    this.running ??= this.drill().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  enqueueAll(): void {}

  private async drill(): Promise<DrillResult> {
    const { settings, logger } = this.shared;
    const connection = [...this.shared.scope.served()].sort()[0];
    const result: DrillResult = connection
      ? await runDrill(kubeDrillPorts(this.shared.kc, settings.drill, settings.subjects, connection), {
          timeoutMs: settings.drill.timeoutSeconds * 1000,
          pollMs: 100,
        })
      : { ok: false, reason: 'this installation serves no connection to run the drill in', steps: [] };
    this.metrics.record(result, this.shared.clock.date());
    if (result.ok) logger.info({ drill: true, ...result }, 'deprovisioning drill passed');
    else logger.warn({ drill: true, ...result }, 'deprovisioning drill failed');
    return result;
  }
}
