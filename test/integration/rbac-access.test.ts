import {
  ApiException,
  AppsV1Api,
  CustomObjectsApi,
  type KubeConfig,
  RbacAuthorizationV1Api,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  adminKubeConfig,
  createNamespace,
  createOurs,
  kubeConfigFor,
  subjectCan,
  uniqueName,
} from '../support/cluster.ts';
import { startTestOperator, type TestOperator } from '../support/operator.ts';
import { queuesDrained, reconciles, scrapeMetrics } from '../support/operator-metrics.ts';

const group = 'scim-operator.dev';
const version = 'v1alpha1';
const deployments = (namespace: string) => ({ namespace, verb: 'create', group: 'apps', resource: 'deployments' });

describe('AccessMappings grant and revoke RBAC access, as decided by the real authorizer', () => {
  let op: TestOperator;
  let admin: KubeConfig;
  let objects: CustomObjectsApi;
  let nsA: string;
  let nsB: string;

  beforeAll(async () => {
    op = await startTestOperator();
    admin = adminKubeConfig();
    objects = admin.makeApiClient(CustomObjectsApi);
    nsA = await createNamespace(admin);
    nsB = await createNamespace(admin);
  });
  afterAll(async () => {
    await op?.stop();
  });

  async function scimUser(userName: string, extra: object = {}) {
    const res = await op.scim('POST', '/Users', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName,
      active: true,
      ...extra,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id as string;
  }

  async function scimGroup(displayName: string, members: string[]) {
    const res = await op.scim('POST', '/Groups', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName,
      members: members.map((value) => ({ value })),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id as string;
  }

  async function accessMapping(name: string, spec: object) {
    await createOurs(admin, 'AccessMapping', name, { connection: op.connection, ...spec });
  }

  async function mappingStatus(name: string) {
    const m = (await objects.getClusterCustomObject({ group, version, plural: 'accessmappings', name })) as {
      status?: {
        conditions?: { type: string; status: string; reason: string }[];
        failures?: { reason: string; namespace?: string }[];
        bindingCount?: number;
      };
    };
    return m.status;
  }

  const can = (user: string, namespace: string) => subjectCan(admin, { user }, deployments(namespace));
  const allowedSoon = (user: string, namespace: string, ms = 10_000) =>
    vi.waitFor(async () => expect(await can(user, namespace), `${user} allowed in ${namespace}`).toBe(true), {
      timeout: ms,
    });
  const deniedSoon = (user: string, namespace: string, ms = 10_000) =>
    vi.waitFor(async () => expect(await can(user, namespace), `${user} denied in ${namespace}`).toBe(false), {
      timeout: ms,
    });

  it('gives a group member edit in namespace a, checked with her own certificate and a SubjectAccessReview, and nothing in b', async () => {
    const ada = `${uniqueName('ada')}@example.com`;
    const adaId = await scimUser(ada);
    await scimGroup(uniqueName('team'), [adaId]).then(async (groupId) => {
      const g = (await op.scim('GET', `/Groups/${groupId}`)).body;
      await accessMapping(uniqueName('team-edit'), {
        subjects: { groups: [{ displayName: g.displayName }] },
        roleBindings: [{ clusterRole: 'edit', namespaces: [nsA] }],
      });
    });
    await allowedSoon(ada, nsA);
    expect(await can(ada, nsB)).toBe(false);

    const asAda = (await kubeConfigFor(ada)).makeApiClient(AppsV1Api);
    const deployment = (name: string) => ({
      metadata: { name },
      spec: {
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
      },
    });
    await expect(
      asAda.createNamespacedDeployment({ namespace: nsA, body: deployment('ada-a') }),
    ).resolves.toBeDefined();
    await expect(asAda.createNamespacedDeployment({ namespace: nsB, body: deployment('ada-b') })).rejects.toSatisfy(
      (e) => e instanceof ApiException && e.code === 403,
    );
  });

  // How fast revocation lands is a product goal measured by bench/deprovision-latency.ts (p99 < 1 s); here the bound is
  // generous so a loaded CI machine does not fail a correct operator.
  it('revokes on active "False", restores on "True" without any group change, and revokes on removal from the group', async () => {
    const bob = `${uniqueName('bob')}@example.com`;
    const bobId = await scimUser(bob);
    const teamName = uniqueName('ops');
    const groupId = await scimGroup(teamName, [bobId]);
    await accessMapping(uniqueName('ops-edit'), {
      subjects: { groups: [{ displayName: teamName }] },
      roleBindings: [{ clusterRole: 'edit', namespaces: [nsA] }],
    });
    await allowedSoon(bob, nsA);

    const patchActive = (value: string) =>
      op.scim('PATCH', `/Users/${bobId}`, {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'Replace', path: 'active', value }],
      });
    expect((await patchActive('False')).status).toBe(200);
    await deniedSoon(bob, nsA, 10_000);

    expect((await patchActive('True')).status).toBe(200);
    await allowedSoon(bob, nsA);

    const removed = await op.scim('PATCH', `/Groups/${groupId}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'Remove', path: 'members', value: [{ value: bobId }] }],
    });
    expect(removed.status).toBe(204);
    await deniedSoon(bob, nsA);
  });

  it('removes the bindings when the mapping is deleted, and restores a binding edited or deleted by hand', async () => {
    const carol = `${uniqueName('carol')}@example.com`;
    await scimUser(carol);
    const name = uniqueName('direct');
    await accessMapping(name, {
      subjects: { users: [{ userName: carol }] },
      roleBindings: [{ clusterRole: 'view', namespaces: [nsB] }],
    });
    const deploymentsView = { namespace: nsB, verb: 'list', group: 'apps', resource: 'deployments' };
    await vi.waitFor(
      async () => expect(await subjectCan(admin, { user: carol }, deploymentsView), 'carol can view').toBe(true),
      { timeout: 10_000 },
    );

    const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
    const bindingName = `scim:${name}:clusterrole:view`;
    const binding = await rbac.readNamespacedRoleBinding({ name: bindingName, namespace: nsB });
    expect(binding.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'AccessMapping', name, controller: true });
    expect(binding.metadata?.labels?.['app.kubernetes.io/managed-by']).toBe('scim-operator');

    await rbac.replaceNamespacedRoleBinding({ name: bindingName, namespace: nsB, body: { ...binding, subjects: [] } });
    await vi.waitFor(
      async () => {
        const restored = await rbac.readNamespacedRoleBinding({ name: bindingName, namespace: nsB });
        expect(
          restored.subjects?.some((s) => s.name === carol),
          'edited binding restored',
        ).toBe(true);
      },
      { timeout: 10_000 },
    );
    await rbac.deleteNamespacedRoleBinding({ name: bindingName, namespace: nsB });
    await vi.waitFor(
      async () =>
        expect(
          (await rbac.readNamespacedRoleBinding({ name: bindingName, namespace: nsB })).subjects?.length,
          'deleted binding recreated',
        ).toBe(1),
      { timeout: 10_000 },
    );

    await objects.deleteClusterCustomObject({ group, version, plural: 'accessmappings', name });
    await vi.waitFor(
      async () => expect(await subjectCan(admin, { user: carol }, deploymentsView), 'carol lost view').toBe(false),
      { timeout: 10_000 },
    );
    await expect(rbac.readNamespacedRoleBinding({ name: bindingName, namespace: nsB })).rejects.toSatisfy(
      (e) => e instanceof ApiException && e.code === 404,
    );
  });

  it('binds namespaces created later that match the selector, and reports a listed namespace that does not exist while the others work', async () => {
    const dan = `${uniqueName('dan')}@example.com`;
    await scimUser(dan);
    const label = uniqueName('team');
    const missing = uniqueName('missing');
    const name = uniqueName('selector');
    await accessMapping(name, {
      subjects: { users: [{ userName: dan }] },
      roleBindings: [
        { clusterRole: 'edit', namespaces: [nsA, missing] },
        { clusterRole: 'edit', namespaceSelector: { matchLabels: { team: label } } },
      ],
    });
    await allowedSoon(dan, nsA);
    // Bindings are written before status: wait for the status of this reconcile.
    await vi.waitFor(
      async () => expect((await mappingStatus(name))?.failures, 'failures reported').not.toBe(undefined),
      { timeout: 10_000 },
    );
    const status = await mappingStatus(name);
    expect(status?.failures).toEqual([expect.objectContaining({ namespace: missing, reason: 'NamespaceNotFound' })]);
    expect(status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'NamespaceNotFound',
    });

    const later = await createNamespace(admin, uniqueName('later'), { team: label });
    await allowedSoon(dan, later);
    // The selector selects: a namespace without the label gets nothing.
    expect(await can(dan, nsB)).toBe(false);
    await createNamespace(admin, missing);
    await allowedSoon(dan, missing);
    await vi.waitFor(
      async () =>
        expect((await mappingStatus(name))?.conditions?.find((c) => c.type === 'Ready')?.status, 'Ready').toBe('True'),
      { timeout: 10_000 },
    );
  });

  it('refuses a role outside the allowlist with RoleNotAllowed', async () => {
    const erin = `${uniqueName('erin')}@example.com`;
    await scimUser(erin);
    const name = uniqueName('too-much');
    await accessMapping(name, {
      subjects: { users: [{ userName: erin }] },
      clusterRoleBindings: [{ clusterRole: 'cluster-admin' }],
    });
    await vi.waitFor(
      async () => expect((await mappingStatus(name))?.conditions?.[0]?.reason, 'RoleNotAllowed').toBe('RoleNotAllowed'),
      { timeout: 10_000 },
    );
    expect(await subjectCan(admin, { user: erin }, { verb: 'list', resource: 'secrets' })).toBe(false);
  });

  it('never binds a system: subject, and refuses two users with the same subject until it is unique', async () => {
    const sysName = `system:${uniqueName('admin')}`;
    const sysId = await scimUser(sysName);
    const twin = `${uniqueName('twin')}@example.com`;
    const twinA = await scimUser(twin);
    const twinB = await scimUser(`x-${twin}`);
    // An administrator's subject override on the second user collides with the first user's userName.
    await objects.patchClusterCustomObject(
      {
        group,
        version,
        plural: 'scimusers',
        name: twinB,
        body: { metadata: { annotations: { 'scim-operator.dev/subject': twin } } },
      },
      (await import('@kubernetes/client-node')).setHeaderOptions(
        'Content-Type',
        (await import('@kubernetes/client-node')).PatchStrategy.MergePatch,
      ),
    );
    const name = uniqueName('dups');
    await accessMapping(name, {
      subjects: { users: [{ userName: sysName }, { userName: twin }, { userName: `x-${twin}` }] },
      roleBindings: [{ clusterRole: 'view', namespaces: [nsA] }],
    });

    const readyReason = async (id: string) =>
      (
        (await objects.getClusterCustomObject({ group, version, plural: 'scimusers', name: id })) as {
          status?: { conditions?: { type: string; reason: string }[] };
        }
      ).status?.conditions?.find((c) => c.type === 'Ready')?.reason;
    await vi.waitFor(
      async () =>
        expect(
          (await readyReason(twinA)) === 'DuplicateSubject' && (await readyReason(twinB)) === 'DuplicateSubject',
          'both refused',
        ).toBe(true),
      { timeout: 10_000 },
    );
    expect(await readyReason(sysId)).toBe('ReservedSubject');
    expect(await subjectCan(admin, { user: twin }, { namespace: nsA, verb: 'list', resource: 'pods' })).toBe(false);
    expect(await subjectCan(admin, { user: sysName }, { namespace: nsA, verb: 'list', resource: 'pods' })).toBe(false);

    await objects.patchClusterCustomObject(
      {
        group,
        version,
        plural: 'scimusers',
        name: twinB,
        body: { metadata: { annotations: { 'scim-operator.dev/subject': null } } },
      },
      (await import('@kubernetes/client-node')).setHeaderOptions(
        'Content-Type',
        (await import('@kubernetes/client-node')).PatchStrategy.MergePatch,
      ),
    );
    await vi.waitFor(
      async () =>
        expect(
          await subjectCan(admin, { user: twin }, { namespace: nsA, verb: 'list', resource: 'pods' }),
          'unique again',
        ).toBe(true),
      { timeout: 10_000 },
    );
  });

  it('revokes all access of a user labelled suspended, and a later SCIM PATCH does not undo it', async () => {
    const fay = `${uniqueName('fay')}@example.com`;
    const fayId = await scimUser(fay);
    await accessMapping(uniqueName('fay'), {
      subjects: { users: [{ userName: fay }] },
      roleBindings: [{ clusterRole: 'edit', namespaces: [nsA] }],
    });
    await allowedSoon(fay, nsA);
    const { setHeaderOptions, PatchStrategy } = await import('@kubernetes/client-node');
    await objects.patchClusterCustomObject(
      {
        group,
        version,
        plural: 'scimusers',
        name: fayId,
        body: { metadata: { labels: { 'scim-operator.dev/suspended': 'true' } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await deniedSoon(fay, nsA);
    // Settled on the suspension (status written, queues drained) before the PATCH, so that the next identity
    // reconcile is the PATCH's.
    const readyReason = async () =>
      (
        (await objects.getClusterCustomObject({ group, version, plural: 'scimusers', name: fayId })) as {
          status?: { conditions?: { type: string; reason: string }[] };
        }
      ).status?.conditions?.find((c) => c.type === 'Ready')?.reason;
    let before = 0;
    await vi.waitFor(
      async () => {
        expect(await readyReason(), 'suspended in status').toBe('Suspended');
        const samples = await scrapeMetrics(op.operator.metricsUrl);
        expect(queuesDrained(samples), 'queues drained').toBe(true);
        before = reconciles(samples, 'scimidentity');
      },
      { timeout: 10_000 },
    );
    const patched = await op.scim('PATCH', `/Users/${fayId}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', value: { active: true, displayName: 'Fay' } }],
    });
    expect(patched.status).toBe(200);
    // The controllers have seen the PATCH once the identity controller has reconciled again (the PATCH is the only
    // change since the settled state) and the queues are drained: the mapping was enqueued by the same event.
    await vi.waitFor(
      async () => {
        const samples = await scrapeMetrics(op.operator.metricsUrl);
        expect(reconciles(samples, 'scimidentity'), 'the PATCH reconciled').toBeGreaterThan(before);
        expect(queuesDrained(samples), 'queues drained').toBe(true);
      },
      { timeout: 10_000 },
    );
    expect(await readyReason(), 'still suspended').toBe('Suspended');
    expect(await can(fay, nsA)).toBe(false);
    const stored = (await objects.getClusterCustomObject({ group, version, plural: 'scimusers', name: fayId })) as {
      metadata: { labels: Record<string, string> };
    };
    expect(stored.metadata.labels['scim-operator.dev/suspended']).toBe('true');
  });

  it('removes the bindings of a mapping whose expiresAt has passed', async () => {
    const gus = `${uniqueName('gus')}@example.com`;
    await scimUser(gus);
    const name = uniqueName('timeboxed');
    const expiresAt = new Date(Date.now() + 3000).toISOString();
    await accessMapping(name, {
      subjects: { users: [{ userName: gus }] },
      roleBindings: [{ clusterRole: 'edit', namespaces: [nsB] }],
      expiresAt,
    });
    await allowedSoon(gus, nsB);
    await deniedSoon(gus, nsB, 10_000);
    await vi.waitFor(
      async () => expect((await mappingStatus(name))?.conditions?.[0]?.reason, 'Expired').toBe('Expired'),
      { timeout: 10_000 },
    );
  });
});
