import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { adminKubeConfig, createNamespace, createOurs, subjectCan, uniqueName } from '../support/cluster.ts';
import { startTestOperator, type TestOperator } from '../support/operator.ts';

const group = 'scim-operator.dev';
const version = 'v1alpha1';
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const deployments = (namespace: string) => ({ namespace, verb: 'create', group: 'apps', resource: 'deployments' });

type Status = {
  conditions?: { type: string; status: string; reason: string; message: string }[];
  failures?: { reason: string; namespace?: string; message: string }[];
};

/** One operator serving two connections (two IdPs), as an installation configured with `connections: [a, b]`. */
describe('AccessMappings stay inside their fences', () => {
  let op: TestOperator;
  let admin: KubeConfig;
  let objects: CustomObjectsApi;
  let core: CoreV1Api;
  let ns: string;
  const second = uniqueName('second');
  const secondToken = uniqueName('token-b');

  beforeAll(async () => {
    const first = uniqueName('first');
    op = await startTestOperator({
      connection: first,
      // Per-user Events on too, so both kinds of Event are shown to stay in the operator's namespace.
      settingsYaml: `connections: [${first}, ${second}]\nevents: {perUserAccessChanges: true}`,
    });
    admin = adminKubeConfig();
    objects = admin.makeApiClient(CustomObjectsApi);
    core = admin.makeApiClient(CoreV1Api);
    ns = await createNamespace(admin);
    await core.patchNamespacedSecret(
      { name: 'scim-tokens', namespace: op.namespace, body: { stringData: { [second]: secondToken } } },
      mergePatch,
    );
  });
  afterAll(async () => {
    await op?.stop();
  });

  async function scimAs(token: string, userName: string, extra: object = {}): Promise<string> {
    let res: Response | undefined;
    // The second connection's token is loaded from the watched Secret within moments.
    await vi.waitFor(
      async () => {
        res = await fetch(`${op.operator.scimUrl}/Users`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
          body: JSON.stringify({ schemas: [USER], userName, active: true, ...extra }),
        });
        expect(res.status, `user ${userName} created`).toBe(201);
      },
      { timeout: 20_000 },
    );
    return ((await res!.json()) as { id: string }).id;
  }
  const scimUser = (userName: string) => scimAs(op.token, userName);

  async function status(plural: string, name: string): Promise<Status | undefined> {
    return ((await objects.getClusterCustomObject({ group, version, plural, name })) as { status?: Status }).status;
  }
  const ready = async (plural: string, name: string) =>
    (await status(plural, name))?.conditions?.find((c) => c.type === 'Ready');
  const can = (user: string, namespace: string) => subjectCan(admin, { user }, deployments(namespace));

  it('never binds into kube-system or the operator namespace, by list or by selector, and reports NamespaceProtected', async () => {
    const ada = `${uniqueName('ada')}@example.com`;
    await scimUser(ada);
    const name = uniqueName('protected');
    await createOurs(admin, 'AccessMapping', name, {
      connection: op.connection,
      subjects: { users: [{ userName: ada }] },
      roleBindings: [
        { clusterRole: 'edit', namespaces: [op.namespace, 'kube-system'] },
        {
          clusterRole: 'view',
          namespaceSelector: {
            matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['kube-node-lease', ns] }],
          },
        },
      ],
    });
    await vi.waitFor(
      async () => expect((await ready('accessmappings', name))?.reason, 'status').toBe('NamespaceProtected'),
      { timeout: 10_000 },
    );
    const failures = (await status('accessmappings', name))?.failures ?? [];
    expect(failures.map((f) => `${f.reason} ${f.namespace}`).sort()).toEqual([
      'NamespaceProtected kube-node-lease',
      'NamespaceProtected kube-system',
      `NamespaceProtected ${op.namespace}`,
    ]);
    await vi.waitFor(
      async () =>
        expect(await subjectCan(admin, { user: ada }, { namespace: ns, verb: 'list', resource: 'pods' })).toBe(true),
      { timeout: 10_000 },
    );
    for (const protectedNs of [op.namespace, 'kube-system', 'kube-node-lease']) {
      expect(await subjectCan(admin, { user: ada }, { namespace: protectedNs, verb: 'list', resource: 'pods' })).toBe(
        false,
      );
      const bindings = await admin.makeApiClient(RbacAuthorizationV1Api).listNamespacedRoleBinding({
        namespace: protectedNs,
        labelSelector: `scim-operator.dev/access-mapping=${name}`,
      });
      expect(bindings.items).toEqual([]);
    }
  });

  it('refuses a mapping without a connection when several are served, and grants nothing through it', async () => {
    const bob = `${uniqueName('bob')}@example.com`;
    await scimUser(bob);
    const name = uniqueName('ambiguous');
    await createOurs(admin, 'AccessMapping', name, {
      subjects: { users: [{ userName: bob }] },
      roleBindings: [{ clusterRole: 'edit', namespaces: [ns] }],
    });
    await vi.waitFor(async () => expect((await ready('accessmappings', name))?.reason).toBe('ConnectionRequired'), {
      timeout: 10_000,
    });
    expect((await ready('accessmappings', name))?.message).toContain('spec.connection is required');
    expect(await can(bob, ns)).toBe(false);
  });

  it("judges a duplicate subject within the mapping's connection: another connection reusing a userName unbinds no one", async () => {
    const cleo = `${uniqueName('cleo')}@example.com`;
    const cleoId = await scimUser(cleo);
    const name = uniqueName('cleo');
    await createOurs(admin, 'AccessMapping', name, {
      connection: op.connection,
      subjects: { users: [{ userName: cleo }] },
      roleBindings: [{ clusterRole: 'edit', namespaces: [ns] }],
    });
    await vi.waitFor(async () => expect(await can(cleo, ns), 'cleo allowed').toBe(true), { timeout: 10_000 });
    const impostorId = await scimAs(secondToken, cleo);
    // A user without access gets its first status after NEW_USER_STATUS_DELAY_MS (10 s).
    await vi.waitFor(async () => expect((await ready('scimusers', impostorId))?.reason).toBe('Provisioned'), {
      timeout: 30_000,
    });
    // Every reconcile triggered by the impostor has run once its status is written; cleo keeps her access.
    expect((await ready('scimusers', cleoId))?.reason).toBe('Provisioned');
    expect(await can(cleo, ns)).toBe(true);
  });

  it('refuses a system: subject with whitespace or capitals, as the authorizer would read it', async () => {
    const dora = `${uniqueName('dora')}@example.com`;
    const doraId = await scimUser(dora);
    await objects.patchClusterCustomObject(
      {
        group,
        version,
        plural: 'scimusers',
        name: doraId,
        body: { metadata: { annotations: { 'scim-operator.dev/subject': ' System:Masters ' } } },
      },
      mergePatch,
    );
    await vi.waitFor(async () => expect((await ready('scimusers', doraId))?.reason).toBe('ReservedSubject'), {
      timeout: 10_000,
    });
  });

  it("writes Events about access in the operator's namespace, naming the AccessMapping and the ScimUser, and holds RBAC for no other", async () => {
    const eli = `${uniqueName('eli')}@example.com`;
    const eliId = await scimUser(eli);
    const mapping = uniqueName('eli');
    await createOurs(admin, 'AccessMapping', mapping, {
      connection: op.connection,
      subjects: { users: [{ userName: eli }] },
      roleBindings: [{ clusterRole: 'view', namespaces: [ns] }],
    });
    const events = (namespace: string, name = mapping) =>
      core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${name}` });
    await vi.waitFor(
      async () => {
        expect((await events(op.namespace)).items.some((e) => e.reason === 'AccessChanged')).toBe(true);
        expect((await events(op.namespace, eliId)).items.some((e) => e.reason === 'AccessGranted')).toBe(true);
      },
      { timeout: 10_000 },
    );
    const changed = (await events(op.namespace)).items.find((e) => e.reason === 'AccessChanged');
    expect(changed?.involvedObject).toMatchObject({ kind: 'AccessMapping', name: mapping });
    expect(changed?.message).toContain(eli);
    const granted = (await events(op.namespace, eliId)).items.find((e) => e.reason === 'AccessGranted');
    expect(granted?.involvedObject).toMatchObject({ kind: 'ScimUser', name: eliId });
    expect((await events('default', eliId)).items).toEqual([]);
    expect((await events('default')).items).toEqual([]);
    const operator = { user: op.user };
    expect(await subjectCan(admin, operator, { namespace: op.namespace, verb: 'create', resource: 'events' })).toBe(
      true,
    );
    expect(await subjectCan(admin, operator, { namespace: 'default', verb: 'create', resource: 'events' })).toBe(false);
    const rb = { group: 'rbac.authorization.k8s.io', resource: 'rolebindings', namespace: ns };
    expect(await subjectCan(admin, operator, { ...rb, verb: 'update' })).toBe(false);
    expect(await subjectCan(admin, operator, { ...rb, verb: 'patch' })).toBe(true);
  });

  // Last: it deletes the first connection's token.
  it("keeps revoking through a connection whose token was deleted: the suspended label still removes the user's access", async () => {
    const fay = `${uniqueName('fay')}@example.com`;
    const fayId = await scimUser(fay);
    await createOurs(admin, 'AccessMapping', uniqueName('pinned'), {
      connection: op.connection,
      subjects: { users: [{ userName: fay }] },
      roleBindings: [{ clusterRole: 'edit', namespaces: [ns] }],
    });
    await vi.waitFor(async () => expect(await can(fay, ns), 'fay allowed').toBe(true), { timeout: 10_000 });

    // docs/token-rotation.md: a leaked key is deleted first. Replace the Secret so that key is gone.
    const secret = await core.readNamespacedSecret({ name: 'scim-tokens', namespace: op.namespace });
    const { [op.connection]: _leaked, ...rest } = secret.data ?? {};
    await core.replaceNamespacedSecret({
      name: 'scim-tokens',
      namespace: op.namespace,
      body: { metadata: { name: 'scim-tokens' }, data: { ...rest, [`${uniqueName('other')}`]: 'bmV3LXRva2Vu' } },
    });
    await vi.waitFor(
      async () =>
        expect((await op.scim('GET', `/Users/${fayId}`)).status, 'the deleted key no longer authenticates').toBe(401),
      { timeout: 10_000 },
    );

    await objects.patchClusterCustomObject(
      {
        group,
        version,
        plural: 'scimusers',
        name: fayId,
        body: { metadata: { labels: { 'scim-operator.dev/suspended': 'true' } } },
      },
      mergePatch,
    );
    await vi.waitFor(async () => expect(await can(fay, ns), 'fay denied after suspension').toBe(false), {
      timeout: 8_000,
    });
  });
});
