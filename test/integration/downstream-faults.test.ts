import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createOurs, uniqueName } from '../support/cluster.ts';
import { type Fault, type FaultProxy, startFaultProxy } from '../support/fault-proxy.ts';
import { startTestOperator, type TestOperator } from '../support/operator.ts';
import { grantCredentials } from '../support/our-objects.ts';
import { type Scim2Server, startScim2Server } from '../support/scim2-server.ts';

const group = 'scim-operator.dev';
const version = 'v1alpha1';
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const SECRET = 'downstream-credentials';
// The test's scim2-server listens on loopback, which DownstreamApps may not reach unless allowed.
const settingsYaml = `downstream: { secretNames: [${SECRET}], allowedAddresses: [127.0.0.0/8] }`;

describe('downstream provisioning through a faulty network stays consistent and backs off', () => {
  let op: TestOperator;
  let server: Scim2Server;
  let proxy: FaultProxy;
  let objects: CustomObjectsApi;

  beforeAll(async () => {
    server = await startScim2Server(['token-a']);
    proxy = await startFaultProxy(server.url);
    op = await startTestOperator({ settingsYaml });
    objects = op.admin.makeApiClient(CustomObjectsApi);
    await op.admin.makeApiClient(CoreV1Api).createNamespacedSecret({
      namespace: op.namespace,
      body: { metadata: { name: SECRET }, stringData: { token: 'token-a' } },
    });
  });
  afterAll(async () => {
    await op?.stop();
    await proxy?.close();
    await server?.stop();
  });

  async function appWithUsers(count: number, spec: object = {}) {
    const app = uniqueName('app');
    await grantCredentials(op.admin, { namespace: op.namespace, secret: SECRET, app, keys: ['token'] });
    await createOurs(op.admin, 'DownstreamApp', app, {
      url: `${proxy.url}/v2`,
      connection: op.connection,
      tls: { insecureHttp: true },
      auth: { bearer: { token: { name: SECRET, key: 'token' } } },
      limits: { timeoutSeconds: 1 },
      ...spec,
    });
    const users: { id: string; userName: string }[] = [];
    for (let i = 0; i < count; i++) {
      const userName = `${uniqueName('u')}@example.com`;
      const res = await op.scim('POST', '/Users', { schemas: [USER], userName, active: true });
      expect(res.status).toBe(201);
      users.push({ id: res.body.id, userName });
    }
    const mapping = uniqueName('m');
    return { app, users, mapping };
  }

  async function assign(mapping: string, app: string, users: { userName: string }[]) {
    await createOurs(op.admin, 'AccessMapping', mapping, {
      connection: op.connection,
      subjects: { users: users.map((u) => ({ userName: u.userName })) },
      apps: [{ name: app }],
    });
  }

  async function remote(userName: string) {
    const res = await server.request('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`);
    return (res.body.Resources ?? []) as { id: string; active?: boolean }[];
  }

  async function entry(userId: string, app: string) {
    const user = (await objects.getClusterCustomObject({ group, version, plural: 'scimusers', name: userId })) as {
      status?: { apps?: { app: string; state: string; remoteId?: string; lastError?: string }[] };
    };
    return user.status?.apps?.find((a) => a.app === app);
  }

  const allProvisioned = (users: { id: string }[], app: string) =>
    vi.waitFor(
      async () =>
        expect(
          (await Promise.all(users.map((u) => entry(u.id, app)))).every((e) => e?.state === 'Provisioned'),
          'all provisioned',
        ).toBe(true),
      { timeout: 45_000 },
    );

  async function expectOneAccountEach(users: { userName: string; id: string }[], app: string) {
    for (const u of users) {
      const accounts = await remote(u.userName);
      expect(accounts, u.userName).toHaveLength(1);
      expect((await entry(u.id, app))?.remoteId).toBe(accounts[0]?.id);
    }
  }

  /** Faults for the first `n` requests of `users`' accounts (by userName in the path or body), then pass. */
  function faultFirst(n: number, fault: Fault | ((i: number) => Fault), appUrlPart = '/v2/Users') {
    let seen = 0;
    proxy.decide = ({ path }) => {
      if (!path.startsWith(appUrlPart) || seen >= n) return { kind: 'pass' };
      const f = typeof fault === 'function' ? fault(seen) : fault;
      seen++;
      return f;
    };
  }

  it('honours 429 Retry-After: nothing reaches the app during the pause, and every account is created once', async () => {
    const { app, users, mapping } = await appWithUsers(3);
    faultFirst(1, { kind: 'status', status: 429, retryAfter: '2' });
    const start = proxy.requests.length;
    await assign(mapping, app, users);
    await allProvisioned(users, app);
    const mine = proxy.requests.slice(start).filter((r) => r.path.startsWith('/v2/Users'));
    const limited = mine.find((r) => r.fault === 'status')!;
    expect(limited).toBeDefined();
    // Requests already in flight next to the limited one cannot be recalled: each other user's first lookup may
    // reach the app during the pause, however late a loaded machine delivers it. Nothing may start later, so no user's
    // second request (its create, or a retry) arrives before the pause is over.
    const userOf = (r: { path: string; body: string }) =>
      users.find((u) => r.path.includes(encodeURIComponent(u.userName)) || r.body.includes(u.userName))?.userName;
    const firstOfItsUser = (r: (typeof mine)[number]) => mine.find((m) => userOf(m) === userOf(r)) === r;
    const during = mine.filter((r) => r.at > limited.at && r.at < limited.at + 1900);
    expect(during.filter((r) => !firstOfItsUser(r))).toEqual([]);
    await expectOneAccountEach(users, app);
  });

  it('survives 500s with backoff: the error shows in status meanwhile, and the request count stays bounded', async () => {
    const { app, users, mapping } = await appWithUsers(3);
    faultFirst(8, { kind: 'status', status: 500 });
    const start = proxy.requests.length;
    await assign(mapping, app, users);
    await vi.waitFor(
      async () =>
        expect((await entry(users[0]!.id, app))?.lastError?.startsWith('ServerError'), 'error in status').toBe(true),
      { timeout: 20_000 },
    );
    await allProvisioned(users, app);
    await expectOneAccountEach(users, app);
    const sent = proxy.requests.slice(start).filter((r) => r.path.startsWith('/v2/'));
    // 8 failures (the breaker opens after 5, then lets one trial through per cooldown of 1, 2, 4 s), then at
    // most a probe, a filter and a create per user: without the breaker, 3 users retrying would send far more.
    expect(sent.length).toBeLessThanOrEqual(8 + 1 + 3 * 2 + 3);
  });

  it('recovers from timeouts and connection resets without duplicates', async () => {
    const { app, users, mapping } = await appWithUsers(3);
    faultFirst(6, (i) => (i % 2 === 0 ? { kind: 'hang' } : { kind: 'reset' }));
    await assign(mapping, app, users);
    await allProvisioned(users, app);
    await expectOneAccountEach(users, app);
  });

  it('adopts an account whose create succeeded but whose answer was lost', async () => {
    const { app, users, mapping } = await appWithUsers(1);
    let lost = false;
    proxy.decide = ({ method, path }) => {
      if (method === 'POST' && path === '/v2/Users' && !lost) {
        lost = true;
        return { kind: 'forward-then-reset' };
      }
      return { kind: 'pass' };
    };
    await assign(mapping, app, users);
    await allProvisioned(users, app);
    expect(lost).toBe(true);
    await expectOneAccountEach(users, app);
  });

  it('does not lose a deprovisioning when the app answers 503 at first', async () => {
    const { app, users, mapping } = await appWithUsers(2);
    proxy.decide = () => ({ kind: 'pass' });
    await assign(mapping, app, users);
    await allProvisioned(users, app);
    faultFirst(4, { kind: 'status', status: 503 });
    await objects.deleteClusterCustomObject({ group, version, plural: 'accessmappings', name: mapping });
    await vi.waitFor(
      async () =>
        expect(
          (await Promise.all(users.map((u) => remote(u.userName)))).every((a) => a[0]?.active === false),
          'all deactivated',
        ).toBe(true),
      { timeout: 45_000 },
    );
    // The status write follows the downstream PATCH, so it may land a moment later.
    await vi.waitFor(
      async () =>
        expect(
          (await Promise.all(users.map((u) => entry(u.id, app)))).every((e) => e?.state === 'Deprovisioned'),
          'Deprovisioned in status',
        ).toBe(true),
      { timeout: 10_000 },
    );
  });

  it('after the operator stops between a create and its status write, the next one adopts instead of duplicating', async () => {
    const { app, users, mapping } = await appWithUsers(1);
    let created = false;
    proxy.decide = ({ method, path }) => {
      if (created) return { kind: 'hang' };
      if (method === 'POST' && path === '/v2/Users') {
        created = true;
        return { kind: 'forward-then-hang' };
      }
      return { kind: 'pass' };
    };
    await assign(mapping, app, users);
    await vi.waitFor(async () => expect((await remote(users[0]!.userName)).length, 'created downstream').toBe(1), {
      timeout: 20_000,
    });
    expect((await entry(users[0]!.id, app))?.remoteId).toBeUndefined();
    await op.stop();
    expect((await entry(users[0]!.id, app))?.remoteId).toBeUndefined();

    proxy.decide = () => ({ kind: 'pass' });
    op = await startTestOperator({ settingsYaml, namespace: op.namespace, connection: op.connection });
    await allProvisioned(users, app);
    await expectOneAccountEach(users, app);
  });
});
