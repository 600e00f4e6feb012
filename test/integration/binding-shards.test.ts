import { RbacAuthorizationV1Api, type RbacV1Subject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { shardSubjects } from '../../src/controllers/role-bindings/desired-role-bindings.ts';
import { createNamespace, createOurs, subjectCan, uniqueName } from '../support/cluster.ts';
import { startTestOperator, type TestOperator } from '../support/operator.ts';

const MAX_SUBJECTS = 4;
const MEMBERS = 7;
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const MAPPING_LABEL = 'scim-operator.dev/access-mapping';

/**
 * A deactivation that also changes a mapping's shard count (docs/adr/0024-preemptible-reconciles.md): every shard is
 * renamed, the new ones are written before the old ones are deleted so that no member who stays loses access in
 * between, and the deactivated member's subject leaves its old shard before any new shard is written.
 */
describe('binding shards of a mapping whose group shrinks across a shard boundary', () => {
  let op: TestOperator;
  let namespace = '';
  let mapping = '';
  const members: { id: string; userName: string }[] = [];

  const can = (userName: string) =>
    subjectCan(op.admin, { user: userName }, { namespace, verb: 'list', resource: 'pods' });
  const bindingNames = async () =>
    (
      await op.admin
        .makeApiClient(RbacAuthorizationV1Api)
        .listNamespacedRoleBinding({ namespace, labelSelector: `${MAPPING_LABEL}=${mapping}` })
    ).items.map((b) => b.metadata?.name ?? '');

  beforeAll(async () => {
    op = await startTestOperator({ settingsYaml: `bindings: { maxSubjectsPerBinding: ${MAX_SUBJECTS} }\n` });
    namespace = await createNamespace(op.admin);
    // Fixed names: the shard layout, which follows from them, is then the same on every run.
    for (let i = 0; i < MEMBERS; i++) {
      const userName = `reshard-${i}@shards.example.com`;
      const res = await op.scim('POST', '/Users', { userName, active: true });
      expect(res.status).toBe(201);
      members.push({ id: res.body.id, userName });
    }
    const displayName = uniqueName('reshard');
    const group = await op.scim('POST', '/Groups', { displayName, members: members.map((m) => ({ value: m.id })) });
    expect(group.status).toBe(201);
    mapping = uniqueName('reshard');
    await createOurs(op.admin, 'AccessMapping', mapping, {
      connection: op.connection,
      subjects: { groups: [{ displayName }] },
      roleBindings: [{ clusterRole: 'view', namespaces: [namespace] }],
    });
    await vi.waitFor(
      async () => {
        for (const m of members) expect(await can(m.userName), m.userName).toBe(true);
      },
      { timeout: 60_000, interval: 200 },
    );
  }, 240_000);

  afterAll(async () => {
    await op?.stop();
  });

  it('takes a deactivated member out of its old shard before writing the new, fewer shards, and keeps everyone else', async () => {
    const user = (name: string): RbacV1Subject => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name });
    const before = await bindingNames();
    expect(before).toHaveLength(
      shardSubjects(
        members.map((m) => user(m.userName)),
        MAX_SUBJECTS,
      ).length,
    );
    // A member whose leaving halves the shard count: which one depends only on the fixed names.
    const leaver = members.find(
      (m) =>
        shardSubjects(
          members.filter((o) => o !== m).map((o) => user(o.userName)),
          MAX_SUBJECTS,
        ).length < before.length,
    );
    expect(leaver, 'a member whose leaving changes the shard count').toBeDefined();
    const writesBefore = op.operator.controllers.writes.length;

    const res = await op.scim('PATCH', `/Users/${leaver!.id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', path: 'active', value: false }],
    });
    expect(res.status).toBe(200);
    await vi.waitFor(
      async () => {
        const names = await bindingNames();
        expect(names.some((n) => before.includes(n))).toBe(false);
        expect(names.length).toBeLessThan(before.length);
      },
      { timeout: 30_000, interval: 200 },
    );

    const writes = op.operator.controllers.writes
      .slice(writesBefore)
      .filter((w) => w.target.startsWith('RoleBinding/') && w.target.includes(mapping));
    const isOld = (target: string) => before.some((name) => target.endsWith(`/${name}`));
    const firstNewShard = writes.findIndex((w) => !isOld(w.target));
    expect(firstNewShard, JSON.stringify(writes)).toBeGreaterThan(0);
    expect(isOld(writes[0]!.target), JSON.stringify(writes)).toBe(true);
    expect(await can(leaver!.userName)).toBe(false);
    for (const m of members.filter((o) => o !== leaver)) expect(await can(m.userName), m.userName).toBe(true);
  });
});
