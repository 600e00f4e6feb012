import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { Controller } from './controller.ts';
import { stringKeys } from './queue-key.ts';

const silent = pino({ level: 'silent' });

describe('Controller lanes', () => {
  it('reconciles an urgent key on its urgent worker while the ordinary worker is busy with grant work', async () => {
    let releaseGrant = () => {};
    const seen: string[] = [];
    const controller = new Controller<string>({
      name: 'lanes',
      keys: stringKeys,
      logger: silent,
      workers: 1,
      urgentWorkers: 1,
      reconcile: async (key) => {
        seen.push(`start ${key}`);
        if (key === 'grant') await new Promise<void>((resolve) => (releaseGrant = resolve));
        seen.push(`end ${key}`);
      },
    });
    controller.start();
    controller.enqueue('grant');
    await vi.waitFor(() => expect(seen).toEqual(['start grant']));
    controller.enqueue('later-grant');
    controller.enqueueUrgent('revoke');
    await vi.waitFor(() => expect(seen).toEqual(['start grant', 'start revoke', 'end revoke']));
    releaseGrant();
    await vi.waitFor(() => expect(seen.at(-1)).toBe('end later-grant'));
    await controller.stop();
  });

  it('without an urgent worker, still hands the urgent key out first when a worker frees up', async () => {
    let releaseGrant = () => {};
    const seen: string[] = [];
    const controller = new Controller<string>({
      name: 'lanes',
      keys: stringKeys,
      logger: silent,
      workers: 1,
      reconcile: async (key) => {
        seen.push(key);
        if (key === 'grant') await new Promise<void>((resolve) => (releaseGrant = resolve));
      },
    });
    controller.start();
    controller.enqueue('grant');
    await vi.waitFor(() => expect(seen).toEqual(['grant']));
    controller.enqueue('later-grant');
    controller.enqueueUrgent('revoke');
    releaseGrant();
    await vi.waitFor(() => expect(seen).toEqual(['grant', 'revoke', 'later-grant']));
    await controller.stop();
  });
});
