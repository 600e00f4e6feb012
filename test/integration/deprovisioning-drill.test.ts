import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runPlugin } from '../../src/plugin/main.ts';
import { bufferOutput } from '../../src/plugin/output.ts';
import { adminKubeConfig, controlPlane, uniqueName } from '../support/cluster.ts';
import { startTestOperator, type TestOperator } from '../support/operator.ts';
import { scrapeMetrics } from '../support/operator-metrics.ts';

const admin = adminKubeConfig();

async function drillNamespace(): Promise<string> {
  const name = uniqueName('drill');
  await admin.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name } } });
  return name;
}

async function canaries(): Promise<string[]> {
  const objects = admin.makeApiClient(CustomObjectsApi);
  const names: string[] = [];
  for (const plural of ['scimusers', 'accessmappings']) {
    const list = (await objects.listClusterCustomObject({
      group: 'scim-operator.dev',
      version: 'v1alpha1',
      plural,
      labelSelector: 'scim-operator.dev/canary=true',
    })) as { items: { metadata: { name: string; deletionTimestamp?: string } }[] };
    names.push(...list.items.filter((i) => !i.metadata.deletionTimestamp).map((i) => `${plural}/${i.metadata.name}`));
  }
  return names;
}

describe('the deprovisioning drill on the real control plane', () => {
  const ops: TestOperator[] = [];
  afterAll(async () => {
    for (const op of ops) await op.stop();
  });

  it('proves revocation end to end, exports the time it took, and leaves no canary behind', async () => {
    const namespace = await drillNamespace();
    const op = await startTestOperator({
      settingsYaml: `drill: { enabled: true, namespace: ${namespace}, intervalSeconds: 3600, timeoutSeconds: 30 }\n`,
    });
    ops.push(op);
    await vi.waitFor(
      async () => {
        const samples = await scrapeMetrics(op.operator.metricsUrl);
        expect(
          samples.has('scim_operator_drill_last_run_timestamp_seconds') &&
            samples.sum('scim_operator_drill_last_run_timestamp_seconds') > 0,
          'a drill ran',
        ).toBe(true);
        expect(samples.sum('scim_operator_drill_success')).toBe(1);
        const seconds = samples.sum('scim_operator_drill_revocation_seconds');
        expect(seconds).toBeGreaterThan(0);
        expect(seconds).toBeLessThan(30);
      },
      { timeout: 60_000, interval: 250 },
    );
    await vi.waitFor(async () => expect(await canaries()).toEqual([]), { timeout: 20_000 });
  });

  it('fails when the drill role is not allowlisted, so the alert expression holds, and still cleans up', async () => {
    const namespace = await drillNamespace();
    const op = await startTestOperator({
      settingsYaml: [
        `drill: { enabled: true, namespace: ${namespace}, intervalSeconds: 3600, timeoutSeconds: 5 }`,
        'roles: { allowedClusterRoles: [edit], allowClusterRoleBindings: [] }',
        '',
      ].join('\n'),
    });
    ops.push(op);
    await vi.waitFor(
      async () => {
        const samples = await scrapeMetrics(op.operator.metricsUrl);
        expect(samples.sum('scim_operator_drill_last_run_timestamp_seconds'), 'a drill ran').toBeGreaterThan(0);
        // The alert: max(scim_operator_drill_success) < 1.
        expect(samples.sum('scim_operator_drill_success')).toBeLessThan(1);
      },
      { timeout: 60_000, interval: 250 },
    );
    await vi.waitFor(async () => expect(await canaries()).toEqual([]), { timeout: 20_000 });
  });

  it('runs one drill on demand with kubectl scim drill, printing each step with its timing', async () => {
    const namespace = await drillNamespace();
    const op = await startTestOperator({ settingsYaml: `drill: { namespace: ${namespace} }\n` });
    ops.push(op);
    const settings = path.join(controlPlane().pkiDir, `${uniqueName('drill')}.settings.yaml`);
    await writeFile(
      settings,
      `connections: [${op.connection}]\ndrill: { namespace: ${namespace}, timeoutSeconds: 30 }\n`,
    );
    const out = bufferOutput();
    const status = await runPlugin(
      ['drill', '--kubeconfig', controlPlane().adminKubeconfig, '--settings', settings],
      out,
    );
    expect(status, `${out.stderr}${out.stdout}`).toBe(0);
    expect(out.stdout).toMatch(
      new RegExp(`^Drill in connection ${op.connection}: ClusterRole view in namespace ${namespace}$`, 'm'),
    );
    for (const step of ['create', 'granted', 'deactivate', 'revoked', 'clean-up'])
      expect(out.stdout).toMatch(new RegExp(`^  ${step} +\\d+\\.\\d\\d s$`, 'm'));
    expect(out.stdout).toMatch(/^Revocation proven: access denied \d+\.\d\d s after the deactivation\.$/m);
    await vi.waitFor(async () => expect(await canaries()).toEqual([]), { timeout: 20_000 });
  });
});
