import { CustomObjectsApi, type KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { adminKubeConfig, createNamespace, createOurs, subjectCan, uniqueName } from '../support/cluster.ts';
import { startTestOperator, type TestOperator } from '../support/operator.ts';

const group = 'scim-operator.dev';
const version = 'v1alpha1';
const patchOp = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const listPods = (namespace: string) => ({ namespace, verb: 'list', group: '', resource: 'pods' });

describe('AccessMappings that select by role follow the roles the identity provider sends', () => {
  let op: TestOperator;
  let admin: KubeConfig;
  let ns: string;

  beforeAll(async () => {
    op = await startTestOperator();
    admin = adminKubeConfig();
    ns = await createNamespace(admin);
  });
  afterAll(async () => {
    await op?.stop();
  });

  const can = (user: string) => subjectCan(admin, { user }, listPods(ns));
  const soon = (user: string, expected: boolean) =>
    vi.waitFor(async () => expect(await can(user), `${user} may list pods: ${expected}`).toBe(expected), {
      timeout: 10_000,
    });
  const patchUser = async (id: string, operations: object[]) => {
    const res = await op.scim('PATCH', `/Users/${id}`, { schemas: [patchOp], Operations: operations });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  };

  it('grants when Entra adds the app role (a JSON string in value), shows it in status, revokes when the role is replaced, and grants a user created with it', async () => {
    const role = uniqueName('Cluster.Reader');
    const ada = `${uniqueName('ada')}@example.com`;
    const created = await op.scim('POST', '/Users', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: ada,
      active: true,
      roles: [],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const adaId = created.body.id as string;
    const mappingName = uniqueName('by-role');
    await createOurs(admin, 'AccessMapping', mappingName, {
      connection: op.connection,
      subjects: { roles: [{ value: role }] },
      roleBindings: [{ clusterRole: 'view', namespaces: [ns] }],
    });
    const objects = admin.makeApiClient(CustomObjectsApi);
    await vi.waitFor(
      async () => {
        const m = (await objects.getClusterCustomObject({
          group,
          version,
          plural: 'accessmappings',
          name: mappingName,
        })) as { status?: { observedGeneration?: number; failures?: unknown[] } };
        expect(m.status?.observedGeneration, 'mapping reconciled').toBe(1);
        expect(m.status?.failures ?? [], 'a role nobody holds yet is no failure').toEqual([]);
      },
      { timeout: 10_000 },
    );
    expect(await can(ada)).toBe(false);

    // SingleAppRoleAssignment / AppRoleAssignmentsComplex: the role object arrives as a JSON string in `value`.
    const entraRole = JSON.stringify({
      id: '06b07648-ecfe-589f-9d2f-6325724a46ee',
      value: role,
      displayName: 'Reader',
    });
    await patchUser(adaId, [{ op: 'Add', path: 'roles', value: [{ value: entraRole }] }]);
    await soon(ada, true);
    await vi.waitFor(
      async () => {
        const u = (await objects.getClusterCustomObject({ group, version, plural: 'scimusers', name: adaId })) as {
          status?: { grantCount?: number; grants?: Record<string, unknown>[] };
        };
        expect(u.status?.grantCount, 'grant counted in status').toBe(1);
        expect(u.status?.grants?.[0]).toMatchObject({
          scope: 'Namespace',
          namespace: ns,
          roleKind: 'ClusterRole',
          role: 'view',
          accessMapping: mappingName,
          via: [{ kind: 'Role', name: role }],
        });
        expect(Date.parse(String(u.status?.grants?.[0]?.since))).not.toBeNaN();
        const m = (await objects.getClusterCustomObject({
          group,
          version,
          plural: 'accessmappings',
          name: mappingName,
        })) as { status?: { bindings?: unknown[] } };
        expect(m.status?.bindings).toEqual([
          { kind: 'RoleBinding', namespace: ns, name: `scim:${mappingName}:clusterrole:view`, subjectCount: 1 },
        ]);
      },
      { timeout: 10_000 },
    );

    // The mapping names her directly too: the binding stays the same, the grant's provenance shows both reasons.
    await objects.patchClusterCustomObject(
      {
        group,
        version,
        plural: 'accessmappings',
        name: mappingName,
        body: { spec: { subjects: { roles: [{ value: role }], users: [{ userName: ada }] } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await vi.waitFor(
      async () => {
        const u = (await objects.getClusterCustomObject({ group, version, plural: 'scimusers', name: adaId })) as {
          status?: { grants?: { via?: unknown[] }[] };
        };
        expect(u.status?.grants?.[0]?.via).toEqual([
          { kind: 'User', name: ada },
          { kind: 'Role', name: role },
        ]);
      },
      { timeout: 10_000 },
    );
    await objects.patchClusterCustomObject(
      {
        group,
        version,
        plural: 'accessmappings',
        name: mappingName,
        body: { spec: { subjects: { roles: [{ value: role }], users: null } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );

    // AssertiveAppRoleAssignmentsComplex: the whole list replaced, the role gone.
    await patchUser(adaId, [
      {
        op: 'replace',
        path: 'roles',
        value: [{ primary: true, type: 'WindowsAzureActiveDirectoryRole', value: 'Other' }],
      },
    ]);
    await soon(ada, false);
    await vi.waitFor(
      async () => {
        const u = (await objects.getClusterCustomObject({ group, version, plural: 'scimusers', name: adaId })) as {
          status?: { grantCount?: number; grants?: unknown[] };
        };
        expect(u.status?.grantCount, 'grant gone from status').toBe(0);
        expect(u.status?.grants).toBeUndefined();
      },
      { timeout: 10_000 },
    );

    const bob = `${uniqueName('bob')}@example.com`;
    const bobCreated = await op.scim('POST', '/Users', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: bob,
      active: true,
      roles: [{ primary: true, type: 'WindowsAzureActiveDirectoryRole', value: role }],
    });
    expect(bobCreated.status, JSON.stringify(bobCreated.body)).toBe(201);
    await soon(bob, true);

    // Deactivation revokes a role holder like any other subject.
    await patchUser(bobCreated.body.id as string, [{ op: 'Replace', path: 'active', value: 'False' }]);
    await soon(bob, false);
  });
});
