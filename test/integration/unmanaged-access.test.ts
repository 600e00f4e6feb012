import { CoreV1Api, CustomObjectsApi, type KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { adminKubeConfig, createNamespace, uniqueName } from '../support/cluster.ts';
import { startTestOperator, type TestOperator } from '../support/operator.ts';
import { scrapeMetrics } from '../support/operator-metrics.ts';

const patchOp = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

async function setUp(op: TestOperator, admin: KubeConfig) {
  const ns = await createNamespace(admin);
  const userName = `${uniqueName('rogue')}@example.com`;
  const created = await op.scim('POST', '/Users', {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName,
    active: true,
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  const name = uniqueName('by-hand');
  // Made by hand: no managed-by label, and a second subject that must survive a removal.
  await rbac.createNamespacedRoleBinding({
    namespace: ns,
    body: {
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [
        { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: userName },
        { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'someone-else@example.com' },
      ],
    },
  });
  const id = created.body.id as string;
  const conditionOf = async () => {
    const u = (await admin.makeApiClient(CustomObjectsApi).getClusterCustomObject({
      group: 'scim-operator.dev',
      version: 'v1alpha1',
      plural: 'scimusers',
      name: id,
    })) as { status?: { conditions?: Condition[] } };
    return u.status?.conditions?.find((c) => c.type === 'UnmanagedAccess');
  };
  const deactivate = async (value: string) => {
    const res = await op.scim('PATCH', `/Users/${id}`, {
      schemas: [patchOp],
      Operations: [{ op: 'Replace', path: 'active', value }],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  };
  return { ns, name, id, userName, rbac, conditionOf, deactivate };
}

describe('bindings made by hand that name a deactivated user are found', () => {
  let op: TestOperator;
  let admin: KubeConfig;
  beforeAll(async () => {
    op = await startTestOperator();
    admin = adminKubeConfig();
  });
  afterAll(async () => {
    await op?.stop();
  });

  it('flags a hand-made RoleBinding once the user is deactivated: condition, Event and metric, and leaves it in place', async () => {
    const { ns, name, id, userName, rbac, conditionOf, deactivate } = await setUp(op, admin);
    // Active: the hand-made binding is nobody's business.
    await vi.waitFor(async () =>
      expect((await scrapeMetrics(op.operator.metricsUrl)).has('scim_operator_unmanaged_grants')).toBe(true),
    );
    expect(await conditionOf()).toBeUndefined();

    await deactivate('False');
    await vi.waitFor(
      async () => {
        const condition = await conditionOf();
        expect(condition, 'UnmanagedAccess condition').toMatchObject({ status: 'True', reason: 'Inactive' });
        expect(condition?.message).toContain(`RoleBinding ${ns}/${name}`);
      },
      { timeout: 15_000 },
    );
    const core = admin.makeApiClient(CoreV1Api);
    await vi.waitFor(
      async () => {
        const events = await core.listNamespacedEvent({
          namespace: op.namespace,
          fieldSelector: `involvedObject.name=${id}`,
        });
        const event = events.items.find((e) => e.reason === 'UnmanagedAccess');
        expect(event?.type).toBe('Warning');
        expect(event?.message).toContain(`${ns}/${name}`);
      },
      { timeout: 15_000 },
    );
    await vi.waitFor(async () =>
      expect(
        (await scrapeMetrics(op.operator.metricsUrl)).sum('scim_operator_unmanaged_grants', { reason: 'Inactive' }),
      ).toBeGreaterThanOrEqual(1),
    );
    // Reporting only, by default: the binding still names the user.
    const binding = await rbac.readNamespacedRoleBinding({ name, namespace: ns });
    expect(binding.subjects?.map((s) => s.name)).toContain(userName);

    // Reactivated: resolved, not dropped.
    await deactivate('True');
    await vi.waitFor(async () => expect(await conditionOf()).toMatchObject({ status: 'False', reason: 'Resolved' }), {
      timeout: 15_000,
    });
  });
});

describe('with unmanagedAccess.removeSubjects on', () => {
  let op: TestOperator;
  let admin: KubeConfig;
  beforeAll(async () => {
    op = await startTestOperator({ settingsYaml: 'unmanagedAccess:\n  removeSubjects: true\n' });
    admin = adminKubeConfig();
  });
  afterAll(async () => {
    await op?.stop();
  });

  it('removes only the deactivated user from the hand-made binding, keeping its other subjects', async () => {
    const { ns, name, rbac, deactivate } = await setUp(op, admin);
    await deactivate('False');
    await vi.waitFor(
      async () => {
        const binding = await rbac.readNamespacedRoleBinding({ name, namespace: ns });
        expect(binding.subjects?.map((s) => s.name)).toEqual(['someone-else@example.com']);
      },
      { timeout: 15_000 },
    );
  });
});
