import { describe, expect, it } from 'vitest';
import { type DrillPorts, runDrill } from './run-drill.ts';

/** A fake cluster on a fake clock: access is granted `grantAfter` ms after creation, revoked `revokeAfter` ms after deactivation. */
function fakeCluster(options: { grantAfter?: number; revokeAfter?: number; failure?: string }) {
  let clock = 0;
  let createdAt: number | undefined;
  let deactivatedAt: number | undefined;
  const calls: string[] = [];
  const ports: DrillPorts = {
    createCanary: async () => {
      calls.push('create');
      createdAt = clock;
      return 'scim-drill@canary.invalid';
    },
    allowed: async () => {
      if (createdAt === undefined || options.grantAfter === undefined) return false;
      if (deactivatedAt !== undefined)
        return options.revokeAfter === undefined || clock < deactivatedAt + options.revokeAfter;
      return clock >= createdAt + options.grantAfter;
    },
    mappingFailure: async () => options.failure,
    deactivate: async () => {
      calls.push('deactivate');
      deactivatedAt = clock;
    },
    cleanUp: async () => {
      calls.push('clean-up');
    },
    now: () => clock,
    sleep: async (ms) => {
      clock += ms;
    },
  };
  return { ports, calls };
}

const options = { timeoutMs: 10_000, pollMs: 100 };

describe('runDrill', () => {
  it('measures the time from deactivation to denial, times each step and cleans up', async () => {
    const { ports, calls } = fakeCluster({ grantAfter: 500, revokeAfter: 300 });
    const result = await runDrill(ports, options);
    expect(result).toMatchObject({ ok: true, revocationSeconds: 0.3 });
    expect(result.steps.map((s) => s.name)).toEqual(['create', 'granted', 'deactivate', 'revoked', 'clean-up']);
    expect(result.steps.find((s) => s.name === 'granted')?.ms).toBe(500);
    expect(calls).toEqual(['create', 'deactivate', 'clean-up']);
  });

  it('fails with the reason the mapping gives when access is never granted, and still cleans up', async () => {
    const failure = 'RoleNotAllowed: ClusterRole view is not in the operator allowlist';
    const { ports, calls } = fakeCluster({ failure });
    const result = await runDrill(ports, options);
    expect(result).toMatchObject({ ok: false, reason: `access was never granted within 10 s: ${failure}` });
    expect(calls).toEqual(['create', 'clean-up']);
  });

  it('fails when access outlives the deactivation past the timeout', async () => {
    const { ports } = fakeCluster({ grantAfter: 0 });
    expect(await runDrill(ports, options)).toMatchObject({
      ok: false,
      reason: 'access was not revoked within 10 s of deactivation',
    });
  });

  it('reports a failing step as the reason instead of throwing', async () => {
    const { ports, calls } = fakeCluster({ grantAfter: 0 });
    ports.createCanary = async () => {
      throw new Error('scimusers is forbidden');
    };
    expect(await runDrill(ports, options)).toMatchObject({
      ok: false,
      reason: 'drill failed: Error: scimusers is forbidden',
    });
    expect(calls).toEqual(['clean-up']);
  });
});
