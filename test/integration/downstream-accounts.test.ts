import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createOurs, uniqueName } from '../support/cluster.ts';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.ts';
import { startTestOperator, type TestOperator } from '../support/operator.ts';
import { grantCredentials } from '../support/our-objects.ts';
import { type Scim2Server, startScim2Server } from '../support/scim2-server.ts';

const group = 'scim-operator.dev';
const version = 'v1alpha1';
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const SECRET = 'downstream-credentials';

describe('DownstreamApps provision assigned users into scim2-server', () => {
  let op: TestOperator;
  let server: Scim2Server;
  let proxy: FaultProxy;
  let objects: CustomObjectsApi;
  let core: CoreV1Api;
  const secondConnection = uniqueName('second');
  const secondToken = `${uniqueName('token')}-${uniqueName('b')}`;

  beforeAll(async () => {
    server = await startScim2Server(['token-a', 'token-b']);
    proxy = await startFaultProxy(server.url);
    // Two connections, as two IdPs: the second writes users that may collide with the first's accounts. The
    // scim2-server listens on loopback, which DownstreamApps may reach only when allowed.
    const connection = uniqueName('conn');
    op = await startTestOperator({
      connection,
      settingsYaml: `{ connections: [${connection}, ${secondConnection}], downstream: { secretNames: [${SECRET}], allowedAddresses: [127.0.0.0/8] } }`,
    });
    objects = op.admin.makeApiClient(CustomObjectsApi);
    core = op.admin.makeApiClient(CoreV1Api);
    await core.createNamespacedSecret({
      namespace: op.namespace,
      body: { metadata: { name: SECRET }, stringData: { token: 'token-a' } },
    });
    await core.patchNamespacedSecret(
      { name: 'scim-tokens', namespace: op.namespace, body: { stringData: { [secondConnection]: secondToken } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  });
  afterAll(async () => {
    await op?.stop();
    await proxy?.close();
    await server?.stop();
  });

  async function createApp(name: string, spec: object = {}) {
    await grantCredentials(op.admin, { namespace: op.namespace, secret: SECRET, app: name, keys: ['token'] });
    await createOurs(op.admin, 'DownstreamApp', name, {
      url: `${proxy.url}/v2`,
      connection: op.connection,
      tls: { insecureHttp: true },
      auth: { bearer: { token: { name: SECRET, key: 'token' } } },
      ...spec,
    });
  }

  async function createMapping(name: string, spec: object) {
    await createOurs(op.admin, 'AccessMapping', name, { connection: op.connection, ...spec });
  }

  async function scimUser(userName: string, extra: object = {}) {
    const res = await op.scim('POST', '/Users', { schemas: [USER], userName, active: true, ...extra });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id as string;
  }

  const patchUser = (id: string, path: string, value: unknown) =>
    op.scim('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'Replace', path, value }] });

  async function remoteUsers(userName: string) {
    const res = await server.request('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`);
    return (res.body.Resources ?? []) as Record<string, unknown>[];
  }

  async function appEntry(userId: string, app: string) {
    const user = (await objects.getClusterCustomObject({ group, version, plural: 'scimusers', name: userId })) as {
      status?: { apps?: { app: string; state: string; remoteId?: string; lastError?: string }[] };
    };
    return user.status?.apps?.find((a) => a.app === app);
  }

  const requestsFor = (needle: string) =>
    proxy.requests.filter((r) => decodeURIComponent(r.path).includes(needle) || r.body.includes(needle));

  it('creates the account with the mapped attributes in two requests, PATCHes only what changed, and deactivates on unassign and on deactivation', async () => {
    const app = uniqueName('crm');
    await createApp(app, {
      attributes: [
        { path: 'userName', from: 'userName' },
        { path: 'displayName', from: 'displayName' },
        { path: 'name.givenName', from: 'name.givenName' },
        { path: 'emails', from: 'email' },
        { path: 'title', template: '{{assignment.role}} of {{name.familyName}}' },
        { path: 'userType', value: 'Employee' },
      ],
    });
    const ada = `${uniqueName('ada')}@example.com`;
    const adaId = await scimUser(ada, {
      displayName: 'Ada Lovelace',
      name: { givenName: 'Ada', familyName: 'Lovelace' },
      emails: [{ value: ada, primary: true, type: 'work' }],
    });
    const mapping = uniqueName('crm-users');
    await createMapping(mapping, {
      subjects: { users: [{ userName: ada }] },
      apps: [{ name: app, attributes: { role: 'admin' } }],
    });

    await vi.waitFor(async () => expect((await appEntry(adaId, app))?.state, 'provisioned').toBe('Provisioned'), {
      timeout: 20_000,
    });
    const [account, ...others] = await remoteUsers(ada);
    expect(others).toEqual([]);
    expect(account).toMatchObject({
      userName: ada,
      displayName: 'Ada Lovelace',
      name: { givenName: 'Ada' },
      emails: [{ value: ada, primary: true, type: 'work' }],
      title: 'admin of Lovelace',
      userType: 'Employee',
      active: true,
    });
    expect((await appEntry(adaId, app))?.remoteId).toBe(account?.id);
    const forAda = requestsFor(ada).filter((r) => r.fault === 'pass');
    expect(forAda.map((r) => r.method)).toEqual(['GET', 'POST']);

    const before = proxy.requests.length;
    expect((await patchUser(adaId, 'displayName', 'Ada King')).status).toBe(200);
    await vi.waitFor(
      async () => expect((await remoteUsers(ada))[0]?.displayName, 'renamed downstream').toBe('Ada King'),
      { timeout: 20_000 },
    );
    const patches = proxy.requests.slice(before).filter((r) => r.method === 'PATCH');
    expect(patches).toHaveLength(1);
    expect(JSON.parse(patches[0]!.body).Operations).toEqual([
      { op: 'replace', path: 'displayName', value: 'Ada King' },
    ]);

    expect((await patchUser(adaId, 'active', 'False')).status).toBe(200);
    await vi.waitFor(async () => expect((await remoteUsers(ada))[0]?.active, 'deactivated downstream').toBe(false), {
      timeout: 20_000,
    });
    await vi.waitFor(async () => expect((await appEntry(adaId, app))?.state, 'in status').toBe('Deprovisioned'), {
      timeout: 10_000,
    });
    expect((await patchUser(adaId, 'active', 'True')).status).toBe(200);
    await vi.waitFor(async () => expect((await remoteUsers(ada))[0]?.active, 'reactivated downstream').toBe(true), {
      timeout: 20_000,
    });

    await objects.deleteClusterCustomObject({ group, version, plural: 'accessmappings', name: mapping });
    await vi.waitFor(async () => expect((await remoteUsers(ada))[0]?.active, 'deactivated on unassign').toBe(false), {
      timeout: 20_000,
    });
    expect(await remoteUsers(ada)).toHaveLength(1);
  });

  it('keeps the accounts of a suspended mapping as they are, and applies what changed once it resumes', async () => {
    const frozenApp = uniqueName('hr');
    const liveApp = uniqueName('chat');
    await createApp(frozenApp);
    // A second account of the same user, under another userName, in an app the suspended mapping does not assign.
    await createApp(liveApp, { attributes: [{ path: 'userName', template: 'chat-{{userName}}' }] });
    const dan = `${uniqueName('dan')}@example.com`;
    const danId = await scimUser(dan);
    const suspended = uniqueName('hr-users');
    await createMapping(suspended, { subjects: { users: [{ userName: dan }] }, apps: [{ name: frozenApp }] });
    await createMapping(uniqueName('chat-users'), {
      subjects: { users: [{ userName: dan }] },
      apps: [{ name: liveApp }],
    });
    await vi.waitFor(async () => expect((await appEntry(danId, frozenApp))?.state, 'hr account').toBe('Provisioned'), {
      timeout: 20_000,
    });
    await vi.waitFor(async () => expect((await appEntry(danId, liveApp))?.state, 'chat account').toBe('Provisioned'), {
      timeout: 20_000,
    });
    const frozenId = (await appEntry(danId, frozenApp))?.remoteId;

    await objects.patchClusterCustomObject(
      { group, version, plural: 'accessmappings', name: suspended, body: { spec: { suspend: true } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await vi.waitFor(
      async () => {
        const m = (await objects.getClusterCustomObject({
          group,
          version,
          plural: 'accessmappings',
          name: suspended,
        })) as {
          status?: { conditions?: { type: string; reason: string }[] };
        };
        expect(
          m.status?.conditions?.some((c) => c.type === 'Ready' && c.reason === 'Suspended'),
          'mapping reports Suspended',
        ).toBe(true);
      },
      { timeout: 20_000 },
    );
    const before = proxy.requests.length;
    expect((await patchUser(danId, 'active', 'False')).status).toBe(200);
    // One reconcile of the user decides both apps: once the live app's account is deactivated, the frozen one was
    // left alone in the same pass.
    await vi.waitFor(async () => expect((await appEntry(danId, liveApp))?.state, 'chat ended').toBe('Deprovisioned'), {
      timeout: 20_000,
    });
    expect((await remoteUsers(`chat-${dan}`))[0]?.active).toBe(false);
    expect(await appEntry(danId, frozenApp)).toMatchObject({ state: 'Provisioned', remoteId: frozenId });
    expect((await remoteUsers(dan))[0]?.active).toBe(true);
    expect(proxy.requests.slice(before).filter((r) => r.method === 'PATCH' && r.path.includes(`${frozenId}`))).toEqual(
      [],
    );

    await objects.patchClusterCustomObject(
      { group, version, plural: 'accessmappings', name: suspended, body: { spec: { suspend: false } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await vi.waitFor(async () => expect((await remoteUsers(dan))[0]?.active, 'hr ended after resume').toBe(false), {
      timeout: 20_000,
    });
  });

  it('deletes the account (Delete policy) before the ScimUser finalizer is released', async () => {
    const app = uniqueName('wiki');
    await createApp(app, { deprovision: 'Delete' });
    const bob = `${uniqueName('bob')}@example.com`;
    const bobId = await scimUser(bob);
    await createMapping(uniqueName('wiki-users'), { subjects: { users: [{ userName: bob }] }, apps: [{ name: app }] });
    await vi.waitFor(async () => expect((await remoteUsers(bob)).length, 'created').toBe(1), { timeout: 20_000 });
    const user = (await objects.getClusterCustomObject({ group, version, plural: 'scimusers', name: bobId })) as {
      metadata: { finalizers?: string[] };
    };
    expect(user.metadata.finalizers).toContain('scim-operator.dev/downstream-accounts');

    expect((await op.scim('DELETE', `/Users/${bobId}`)).status).toBe(204);
    await vi.waitFor(
      async () =>
        expect(
          objects.getClusterCustomObject({ group, version, plural: 'scimusers', name: bobId }),
          'ScimUser gone',
        ).rejects.toMatchObject({ code: 404 }),
      { timeout: 20_000 },
    );
    // The finalizer is released only after the downstream delete: by now the account must be gone.
    expect(await remoteUsers(bob)).toEqual([]);
  });

  it('adopts an existing account with the same userName instead of creating a second one', async () => {
    const app = uniqueName('erp');
    await createApp(app);
    const carol = `${uniqueName('carol')}@example.com`;
    const existing = await server.request('POST', '/Users', { schemas: [USER], userName: carol, displayName: 'Old' });
    expect(existing.status).toBe(201);
    const carolId = await scimUser(carol, { displayName: 'Carol' });
    await createMapping(uniqueName('erp-users'), { subjects: { users: [{ userName: carol }] }, apps: [{ name: app }] });
    await vi.waitFor(async () => expect((await appEntry(carolId, app))?.state, 'adopted').toBe('Provisioned'), {
      timeout: 20_000,
    });
    expect((await appEntry(carolId, app))?.remoteId).toBe(existing.body.id);
    const accounts = await remoteUsers(carol);
    expect(accounts).toHaveLength(1);
    expect(accounts[0]?.displayName).toBe('Carol');
  });

  it('uses a rotated token from the next request, and reports a refused one as Authenticated False', async () => {
    const app = uniqueName('hr');
    await createApp(app);
    // A merge patch keeps the Secret's allowed-apps annotation, as a rotation by the Secret's manager would.
    const rotate = (token: string) =>
      core.patchNamespacedSecret(
        { name: SECRET, namespace: op.namespace, body: { stringData: { token } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    await rotate('token-b');
    const dan = `${uniqueName('dan')}@example.com`;
    const danId = await scimUser(dan);
    await createMapping(uniqueName('hr-users'), { subjects: { users: [{ userName: dan }] }, apps: [{ name: app }] });
    await vi.waitFor(async () => expect((await appEntry(danId, app))?.state, 'provisioned').toBe('Provisioned'), {
      timeout: 20_000,
    });
    expect(requestsFor(dan).every((r) => r.authorization === 'Bearer token-b')).toBe(true);

    await rotate('wrong-token');
    const appCondition = async (type: string) => {
      const obj = (await objects.getClusterCustomObject({ group, version, plural: 'downstreamapps', name: app })) as {
        status?: { conditions?: { type: string; status: string; reason: string }[] };
      };
      return obj.status?.conditions?.find((c) => c.type === type);
    };
    expect((await patchUser(danId, 'displayName', 'Dan')).status).toBe(200);
    await vi.waitFor(async () => expect((await appCondition('Authenticated'))?.status, 'refused').toBe('False'), {
      timeout: 20_000,
    });
    await vi.waitFor(async () => expect((await appEntry(danId, app))?.state, 'failure in status').toBe('Failed'), {
      timeout: 20_000,
    });
    expect((await appEntry(danId, app))?.lastError).toMatch(/^Unauthorized: .* 401/);

    await rotate('token-a');
    await vi.waitFor(
      async () => expect((await remoteUsers(dan))[0]?.displayName, 'synced after rotation').toBe('Dan'),
      { timeout: 30_000 },
    );
    await vi.waitFor(async () => expect((await appCondition('Authenticated'))?.status, 'authenticated').toBe('True'), {
      timeout: 20_000,
    });
    await rotate('token-a');
  });

  it('pushes the mapped group with exactly the provisioned members, and follows membership changes', async () => {
    const app = uniqueName('chat');
    await createApp(app, { groups: { push: true } });
    const names = [uniqueName('eve'), uniqueName('fay')].map((n) => `${n}@example.com`);
    const ids = await Promise.all(names.map((n) => scimUser(n)));
    const team = uniqueName('team');
    const created = await op.scim('POST', '/Groups', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName: team,
      members: ids.map((value) => ({ value })),
    });
    expect(created.status).toBe(201);
    await createMapping(uniqueName('chat-users'), {
      subjects: { groups: [{ displayName: team }] },
      apps: [{ name: app }],
    });

    const remoteMembers = async () => {
      const res = await server.request('GET', `/Groups?filter=${encodeURIComponent(`displayName eq "${team}"`)}`);
      const g = res.body.Resources?.[0] as { members?: { value: string }[] } | undefined;
      return g ? (g.members ?? []).map((m) => m.value).sort() : undefined;
    };
    const remoteIds = async () =>
      (await Promise.all(ids.map((id) => appEntry(id, app)))).map((e) => e?.remoteId ?? '').sort();
    await vi.waitFor(
      async () =>
        expect(JSON.stringify(await remoteMembers()), 'group pushed with both members').toBe(
          JSON.stringify(await remoteIds()),
        ),
      { timeout: 30_000 },
    );
    expect(await remoteMembers()).toHaveLength(2);

    const fayRemote = (await appEntry(ids[1]!, app))?.remoteId;
    const removed = await op.scim('PATCH', `/Groups/${created.body.id}`, {
      schemas: [PATCH],
      Operations: [{ op: 'Remove', path: 'members', value: [{ value: ids[1] }] }],
    });
    expect(removed.status).toBe(204);
    await vi.waitFor(
      async () => {
        const members = await remoteMembers();
        expect(members?.length === 1 && !members.includes(fayRemote ?? ''), 'member removed downstream').toBe(true);
      },
      { timeout: 30_000 },
    );
  });

  it('never adopts or deprovisions an account another ScimUser holds: a second connection with the same email reports Conflict', async () => {
    const app = uniqueName('mail');
    // No connection on the app: both IdPs' users are provisioned into it, matched by email.
    await grantCredentials(op.admin, { namespace: op.namespace, secret: SECRET, app, keys: ['token'] });
    await createOurs(op.admin, 'DownstreamApp', app, {
      url: `${proxy.url}/v2`,
      tls: { insecureHttp: true },
      auth: { bearer: { token: { name: SECRET, key: 'token' } } },
      matchAttribute: 'email',
    });
    const email = `${uniqueName('shared')}@example.com`;
    const first = `${uniqueName('first')}@example.com`;
    const firstId = await scimUser(first, { emails: [{ value: email, primary: true, type: 'work' }] });
    await createMapping(uniqueName('mail-first'), {
      subjects: { users: [{ userName: first }] },
      apps: [{ name: app }],
    });
    await vi.waitFor(
      async () => expect((await appEntry(firstId, app))?.state, 'first provisioned').toBe('Provisioned'),
      { timeout: 20_000 },
    );
    const account = (await appEntry(firstId, app))?.remoteId;
    expect(account).toBeTruthy();

    const asSecond = async (method: string, path: string, body: unknown) => {
      const res = await fetch(`${op.operator.scimUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${secondToken}`, 'content-type': 'application/scim+json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as { id: string } };
    };
    const second = `${uniqueName('second')}@example.com`;
    const secondUser = { schemas: [USER], userName: second, active: true, emails: [{ value: email, primary: true }] };
    let secondId = '';
    await vi.waitFor(
      async () => {
        const created = await asSecond('POST', '/Users', secondUser);
        secondId = created.body.id;
        expect(created.status, "second connection's token loaded").toBe(201);
      },
      { timeout: 20_000 },
    );
    await createOurs(op.admin, 'AccessMapping', uniqueName('mail-second'), {
      connection: secondConnection,
      subjects: { users: [{ userName: second }] },
      apps: [{ name: app }],
    });

    await vi.waitFor(async () => expect((await appEntry(secondId, app))?.state, 'second refused').toBe('Failed'), {
      timeout: 20_000,
    });
    const refused = await appEntry(secondId, app);
    expect(refused?.lastError).toMatch(new RegExp(`^Conflict: account ${account} .*belongs to ScimUser ${first}`));
    expect(refused?.remoteId).toBeUndefined();
    const [remote, ...others] = await remoteUsers(first);
    expect(others).toEqual([]);
    expect(remote).toMatchObject({ id: account, userName: first, active: true });
    expect(proxy.requests.filter((r) => r.method !== 'GET' && r.path.includes(account!))).toEqual([]);

    // Ending the second user's assignment must not end the first user's account.
    const deactivated = await asSecond('PATCH', `/Users/${secondId}`, {
      schemas: [PATCH],
      Operations: [{ op: 'Replace', path: 'active', value: false }],
    });
    expect(deactivated.status).toBe(200);
    await vi.waitFor(async () => expect(await appEntry(secondId, app), 'second entry dropped').toBe(undefined), {
      timeout: 20_000,
    });
    expect((await remoteUsers(first))[0]).toMatchObject({ id: account, active: true });
    expect(proxy.requests.filter((r) => r.method !== 'GET' && r.path.includes(account!))).toEqual([]);
    // A sync of the first user may fail for a moment on a loaded machine (a timeout to scim2-server) and is then
    // retried; a Conflict would be terminal, and the message would show it.
    await vi.waitFor(
      async () => {
        const firstEntry = await appEntry(firstId, app);
        expect(firstEntry?.state, `the first user's entry: ${JSON.stringify(firstEntry)}`).toBe('Provisioned');
        expect(firstEntry?.remoteId).toBe(account);
      },
      { timeout: 20_000 },
    );
  });
});
