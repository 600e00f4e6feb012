import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Controller } from '../runtime/controller.ts';
import { stringKeys } from '../runtime/queue-key.ts';
import { TerminalError } from '../runtime/reconciler.ts';
import { ControllerMetrics } from './controller-metrics.ts';

const silent = { info() {}, warn() {}, error() {}, debug() {} };

describe('ControllerMetrics', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("exports controller-runtime's names and labels, initialised to 0 before any reconcile", async () => {
    const registry = new Registry();
    const metrics = new ControllerMetrics(registry);
    metrics.forController('role-bindings');
    metrics.forLeaderElection('scim-operator-leader');
    const text = await registry.metrics();
    for (const series of [
      'controller_runtime_reconcile_total{controller="role-bindings",result="success"} 0',
      'controller_runtime_reconcile_total{controller="role-bindings",result="error"} 0',
      'controller_runtime_reconcile_total{controller="role-bindings",result="requeue"} 0',
      'controller_runtime_reconcile_total{controller="role-bindings",result="requeue_after"} 0',
      'controller_runtime_reconcile_errors_total{controller="role-bindings"} 0',
      'controller_runtime_terminal_reconcile_errors_total{controller="role-bindings"} 0',
      'controller_runtime_reconcile_panics_total{controller="role-bindings"} 0',
      'controller_runtime_reconcile_timeouts_total{controller="role-bindings"} 0',
      'controller_runtime_active_workers{controller="role-bindings"} 0',
      'workqueue_depth{name="role-bindings",controller="role-bindings"} 0',
      'workqueue_adds_total{name="role-bindings",controller="role-bindings"} 0',
      'workqueue_retries_total{name="role-bindings",controller="role-bindings"} 0',
      'leader_election_master_status{name="scim-operator-leader"} 0',
    ]) {
      expect(text).toContain(series);
    }
  });

  it('uses the reconcile time buckets of controller-runtime and the exponential work queue buckets of client-go', async () => {
    const registry = new Registry();
    const metrics = new ControllerMetrics(registry);
    const hooks = metrics.forController('c');
    hooks.reconcile.reconciled('success', 0.2);
    hooks.queue.queueDuration(0.2);
    const text = await registry.metrics();
    const les = (name: string) =>
      [...text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"`, 'gm'))].map((m) => m[1]);
    expect(les('controller_runtime_reconcile_time_seconds')).toEqual(
      '0.005 0.01 0.025 0.05 0.1 0.15 0.2 0.25 0.3 0.35 0.4 0.45 0.5 0.6 0.7 0.8 0.9 1 1.25 1.5 1.75 2 2.5 3 3.5 4 4.5 5 6 7 8 9 10 15 20 25 30 40 50 60 +Inf'.split(
        ' ',
      ),
    );
    expect(les('workqueue_queue_duration_seconds')).toEqual(
      '1e-8 1e-7 0.000001 0.00001 0.0001 0.001 0.01 0.1 1 10 100 1000 +Inf'.split(' '),
    );
  });

  it("counts a controller's reconciles, errors and queue activity, and reads unfinished work at scrape time", async () => {
    const registry = new Registry();
    const metrics = new ControllerMetrics(registry);
    let calls = 0;
    const controller = new Controller({
      keys: stringKeys,
      name: 'c',
      logger: silent,
      metrics,
      workers: 2,
      clock: {
        now: () => Date.now(),
        date: () => new Date(),
        setTimeout: (fn, ms) => setTimeout(fn, ms),
        clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
      },
      reconcile: async (key) => {
        calls++;
        if (key === 'terminal') throw new TerminalError('invalid');
        if (key === 'slow') await new Promise((r) => setTimeout(r, 10_000));
        return undefined;
      },
    });
    controller.enqueue('terminal');
    controller.enqueue('slow');
    controller.start();
    await vi.advanceTimersByTimeAsync(0);
    const value = async (name: string, labels: Record<string, string> = {}) =>
      (await registry.getSingleMetric(name)?.get())?.values.find((v) =>
        Object.entries(labels).every(([k, l]) => v.labels[k] === l),
      )?.value;
    expect(await value('controller_runtime_reconcile_total', { result: 'error' })).toBe(1);
    expect(await value('controller_runtime_reconcile_errors_total')).toBe(1);
    expect(await value('controller_runtime_terminal_reconcile_errors_total')).toBe(1);
    expect(await value('controller_runtime_max_concurrent_reconciles')).toBe(2);
    expect(await value('controller_runtime_active_workers')).toBe(1);
    expect(await value('workqueue_adds_total')).toBe(2);
    expect(await value('workqueue_depth')).toBe(0);
    expect(calls).toBe(2);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(await value('workqueue_unfinished_work_seconds')).toBe(3);
    expect(await value('workqueue_longest_running_processor_seconds')).toBe(3);
    const stopping = controller.stop();
    await vi.advanceTimersByTimeAsync(7_000);
    await stopping;
    expect(await value('controller_runtime_active_workers')).toBe(0);
    expect(await value('controller_runtime_reconcile_total', { result: 'success' })).toBe(1);
    expect(await value('workqueue_unfinished_work_seconds')).toBe(0);
  });

  it('sets leader_election_master_status to 1 while leading', async () => {
    const registry = new Registry();
    const status = new ControllerMetrics(registry).forLeaderElection('lease');
    status.leading(true);
    expect((await registry.getSingleMetric('leader_election_master_status')?.get())?.values[0]?.value).toBe(1);
    status.leading(false);
    expect((await registry.getSingleMetric('leader_election_master_status')?.get())?.values[0]?.value).toBe(0);
  });
});
