import { describe, expect, it } from 'vitest';
import { planFaults } from './fault-schedule.ts';
import { seededRandom } from './seeded-random.ts';

describe('the chaos fault schedule', () => {
  it('is the same for the same seed and differs for another', () => {
    expect(planFaults(seededRandom(7), 2)).toEqual(planFaults(seededRandom(7), 2));
    expect(planFaults(seededRandom(7), 2)).not.toEqual(planFaults(seededRandom(8), 2));
  });

  it('injects every fault kind the suite promises, each within its bounds', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const plan = planFaults(seededRandom(seed), 2);
      expect(new Set(plan.map((p) => p.fault.kind))).toEqual(
        new Set([
          'kill-leader',
          'pause-apiserver',
          'restart-apiserver',
          'restart-etcd',
          'reset-connections',
          'delay-connections',
          'recreate-token-secret',
        ]),
      );
      for (const { gapMs, fault } of plan) {
        expect(gapMs).toBeGreaterThanOrEqual(2_000);
        expect(gapMs).toBeLessThanOrEqual(6_000);
        if (fault.kind === 'pause-apiserver') {
          expect(fault.pauseMs).toBeGreaterThanOrEqual(5_000);
          expect(fault.pauseMs).toBeLessThanOrEqual(20_000);
        }
        if (fault.kind === 'reset-connections' || fault.kind === 'delay-connections') {
          expect(fault.replicas.every((r) => r === 0 || r === 1)).toBe(true);
        }
      }
    }
  });
});
