import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ControllerMetricHooks, ReconcileOutcome } from '../runtime/controller.ts';
import type { LeaderElectionMetrics } from '../runtime/leader-election.ts';

// controller-runtime's `pkg/internal/controller/metrics` buckets, so existing dashboards and alerts read ours unchanged.
const RECONCILE_TIME_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5, 1.75,
  2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];
// client-go's ExponentialBuckets(1e-8, 10, 12): 10 ns .. 1000 s; rounded so `le` reads 1e-7 rather than 1.0000000000000001e-7.
const WORKQUEUE_BUCKETS = Array.from({ length: 12 }, (_, i) => Number((1e-8 * 10 ** i).toPrecision(1)));
// `requeue` (controller-runtime's deprecated `Requeue: true`) is never counted here but is initialised like the others.
const RESULTS: Array<ReconcileOutcome | 'requeue'> = ['success', 'error', 'requeue', 'requeue_after'];

/**
 * The controller, work queue and leader election metrics with controller-runtime's exact names and labels. Work queue
 * metrics carry both `name` and `controller`, set to the controller name, as controller-runtime ≥ v0.19 does; its
 * `priority=""` label on `workqueue_depth` is left out, which Prometheus treats as the same series.
 */
export class ControllerMetrics {
  readonly #hooks = new Map<string, ControllerMetricHooks>();
  readonly #unfinishedWork = new Map<string, () => { unfinishedSeconds: number; longestRunningSeconds: number }>();

  readonly reconcileTotal: Counter<'controller' | 'result'>;
  readonly reconcileErrors: Counter<'controller'>;
  readonly terminalReconcileErrors: Counter<'controller'>;
  readonly reconcilePanics: Counter<'controller'>;
  readonly reconcileTimeouts: Counter<'controller'>;
  readonly reconcileTime: Histogram<'controller'>;
  readonly activeWorkers: Gauge<'controller'>;
  readonly maxConcurrentReconciles: Gauge<'controller'>;
  readonly depth: Gauge<'name' | 'controller'>;
  readonly adds: Counter<'name' | 'controller'>;
  readonly queueDuration: Histogram<'name' | 'controller'>;
  readonly workDuration: Histogram<'name' | 'controller'>;
  readonly retries: Counter<'name' | 'controller'>;
  readonly unfinishedWorkSeconds: Gauge<'name' | 'controller'>;
  readonly longestRunningProcessorSeconds: Gauge<'name' | 'controller'>;
  readonly leaderElectionMasterStatus: Gauge<'name'>;

  constructor(registry: Registry) {
    const registers = [registry];
    const controller = ['controller'] as const;
    const queue = ['name', 'controller'] as const;
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
      new Counter<L>({ name, help, labelNames, registers });
    const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
      new Gauge<L>({ name, help, labelNames, registers });
    const unfinished = this.#unfinishedWork;

    this.reconcileTotal = counter(
      'controller_runtime_reconcile_total',
      'Total number of reconciliations per controller',
      ['controller', 'result'],
    );
    this.reconcileErrors = counter(
      'controller_runtime_reconcile_errors_total',
      'Total number of reconciliation errors per controller',
      controller,
    );
    this.terminalReconcileErrors = counter(
      'controller_runtime_terminal_reconcile_errors_total',
      'Total number of terminal reconciliation errors per controller',
      controller,
    );
    this.reconcilePanics = counter(
      'controller_runtime_reconcile_panics_total',
      'Total number of reconciliation panics per controller',
      controller,
    );
    this.reconcileTimeouts = counter(
      'controller_runtime_reconcile_timeouts_total',
      'Total number of reconciliation timeouts per controller',
      controller,
    );
    this.reconcileTime = new Histogram({
      name: 'controller_runtime_reconcile_time_seconds',
      help: 'Length of time per reconciliation per controller',
      labelNames: controller,
      buckets: RECONCILE_TIME_BUCKETS,
      registers,
    });
    this.activeWorkers = gauge(
      'controller_runtime_active_workers',
      'Number of currently used workers per controller',
      controller,
    );
    this.maxConcurrentReconciles = gauge(
      'controller_runtime_max_concurrent_reconciles',
      'Maximum number of concurrent reconciles per controller',
      controller,
    );
    this.depth = gauge('workqueue_depth', 'Current depth of workqueue', queue);
    this.adds = counter('workqueue_adds_total', 'Total number of adds handled by workqueue', queue);
    this.queueDuration = new Histogram({
      name: 'workqueue_queue_duration_seconds',
      help: 'How long in seconds an item stays in workqueue before being requested',
      labelNames: queue,
      buckets: WORKQUEUE_BUCKETS,
      registers,
    });
    this.workDuration = new Histogram({
      name: 'workqueue_work_duration_seconds',
      help: 'How long in seconds processing an item from workqueue takes.',
      labelNames: queue,
      buckets: WORKQUEUE_BUCKETS,
      registers,
    });
    this.retries = counter('workqueue_retries_total', 'Total number of retries handled by workqueue', queue);
    this.unfinishedWorkSeconds = new Gauge({
      name: 'workqueue_unfinished_work_seconds',
      help:
        "How many seconds of work has been done that is in progress and hasn't been observed by work_duration. " +
        'Large values indicate stuck threads. One can deduce the number of stuck threads by observing the rate ' +
        'at which this increases.',
      labelNames: queue,
      registers,
      collect() {
        for (const [name, probe] of unfinished) this.set({ name, controller: name }, probe().unfinishedSeconds);
      },
    });
    this.longestRunningProcessorSeconds = new Gauge({
      name: 'workqueue_longest_running_processor_seconds',
      help: 'How many seconds has the longest running processor for workqueue been running.',
      labelNames: queue,
      registers,
      collect() {
        for (const [name, probe] of unfinished) this.set({ name, controller: name }, probe().longestRunningSeconds);
      },
    });
    this.leaderElectionMasterStatus = gauge(
      'leader_election_master_status',
      'Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master. ' +
        "'name' is the string used to identify the lease. Please make sure to group by name.",
      ['name'],
    );
  }

  /** The hooks of one controller, with its series pre-initialised to 0 as controller-runtime does. */
  forController(name: string): ControllerMetricHooks {
    const existing = this.#hooks.get(name);
    if (existing) return existing;
    const c = { controller: name };
    const q = { name, controller: name };
    for (const result of RESULTS) this.reconcileTotal.inc({ ...c, result }, 0);
    for (const m of [this.reconcileErrors, this.terminalReconcileErrors, this.reconcilePanics, this.reconcileTimeouts])
      m.inc(c, 0);
    this.activeWorkers.set(c, 0);
    this.depth.set(q, 0);
    this.adds.inc(q, 0);
    this.retries.inc(q, 0);
    const hooks: ControllerMetricHooks = {
      reconcile: {
        maxConcurrentReconciles: (n) => this.maxConcurrentReconciles.set(c, n),
        activeWorkers: (delta) => this.activeWorkers.inc(c, delta),
        reconciled: (result, seconds) => {
          this.reconcileTotal.inc({ ...c, result });
          this.reconcileTime.observe(c, seconds);
        },
        errored: ({ terminal, panic, timedOut }) => {
          this.reconcileErrors.inc(c);
          if (terminal) this.terminalReconcileErrors.inc(c);
          if (panic) this.reconcilePanics.inc(c);
          if (timedOut) this.reconcileTimeouts.inc(c);
        },
      },
      queue: {
        depth: (n) => this.depth.set(q, n),
        added: () => this.adds.inc(q),
        queueDuration: (seconds) => this.queueDuration.observe(q, seconds),
        workDuration: (seconds) => this.workDuration.observe(q, seconds),
        retried: () => this.retries.inc(q),
        trackUnfinishedWork: (probe) => void this.#unfinishedWork.set(name, probe),
      },
    };
    this.#hooks.set(name, hooks);
    return hooks;
  }

  /** Sets `leader_election_master_status{name}`; `name` is the Lease name, as in controller-runtime. */
  forLeaderElection(name: string): LeaderElectionMetrics {
    this.leaderElectionMasterStatus.set({ name }, 0);
    return { leading: (isLeader) => this.leaderElectionMasterStatus.set({ name }, isLeader ? 1 : 0) };
  }
}
