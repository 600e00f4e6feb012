import net from 'node:net';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createOurs, uniqueName } from '../support/cluster.ts';
import { startTestOperator, type TestOperator } from '../support/operator.ts';
import { grantCredentials } from '../support/our-objects.ts';

const group = 'scim-operator.dev';
const version = 'v1alpha1';
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const SECRET = 'downstream-credentials';

type Condition = { type: string; status: string; reason: string; message: string };

/**
 * The operator runs without downstream.allowedAddresses: loopback, link-local and API server addresses are refused.
 * A loopback listener that counts connections stands for a refused destination (169.254.169.254 itself is never
 * bound): after the operator has reported the refusal, both for the app and for a user's account, it must have
 * received nothing.
 */
describe('DownstreamApps cannot send credentials to refused destinations', () => {
  let op: TestOperator;
  let objects: CustomObjectsApi;
  let listener: net.Server;
  let connections = 0;
  let listenerUrl = '';

  beforeAll(async () => {
    listener = net.createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    listenerUrl = `http://127.0.0.1:${(listener.address() as net.AddressInfo).port}`;
    op = await startTestOperator({ settingsYaml: `downstream: { secretNames: [${SECRET}] }` });
    objects = op.admin.makeApiClient(CustomObjectsApi);
    await op.admin.makeApiClient(CoreV1Api).createNamespacedSecret({
      namespace: op.namespace,
      body: { metadata: { name: SECRET }, stringData: { token: 'a-token', id: 'client', secret: 'client-secret' } },
    });
  });
  afterAll(async () => {
    await op?.stop();
    await new Promise((resolve) => listener?.close(resolve));
  });

  async function conditions(app: string): Promise<Condition[]> {
    const obj = (await objects.getClusterCustomObject({ group, version, plural: 'downstreamapps', name: app })) as {
      status?: { conditions?: Condition[] };
    };
    return obj.status?.conditions ?? [];
  }
  const condition = async (app: string, type: string) => (await conditions(app)).find((c) => c.type === type);

  async function appEntry(userId: string, app: string) {
    const user = (await objects.getClusterCustomObject({ group, version, plural: 'scimusers', name: userId })) as {
      status?: { apps?: { app: string; state: string; lastError?: string }[] };
    };
    return user.status?.apps?.find((a) => a.app === app);
  }

  async function assignNewUser(app: string): Promise<string> {
    const userName = `${uniqueName('u')}@example.com`;
    const res = await op.scim('POST', '/Users', { schemas: [USER], userName, active: true });
    expect(res.status).toBe(201);
    await createOurs(op.admin, 'AccessMapping', uniqueName('m'), {
      connection: op.connection,
      subjects: { users: [{ userName }] },
      apps: [{ name: app }],
    });
    return res.body.id as string;
  }

  async function createApp(name: string, spec: object, keys = ['token']) {
    if (keys.length) await grantCredentials(op.admin, { namespace: op.namespace, secret: SECRET, app: name, keys });
    await createOurs(op.admin, 'DownstreamApp', name, {
      connection: op.connection,
      tls: { insecureHttp: true },
      auth: { bearer: { token: { name: SECRET, key: 'token' } } },
      ...spec,
    });
  }

  it('refuses an app pointing at the cloud metadata address with Ready False, reason DestinationRefused', async () => {
    const app = uniqueName('metadata');
    await createApp(app, { url: 'http://169.254.169.254/latest/meta-data' });
    const userId = await assignNewUser(app);
    await vi.waitFor(
      async () => expect((await condition(app, 'Ready'))?.reason, 'refused').toBe('DestinationRefused'),
      { timeout: 20_000 },
    );
    const ready = await condition(app, 'Ready');
    expect(ready).toMatchObject({ status: 'False', reason: 'DestinationRefused' });
    expect(ready?.message).toContain('169.254.169.254, a link-local address');
    await vi.waitFor(async () => expect((await appEntry(userId, app))?.state, 'account refused').toBe('Failed'), {
      timeout: 20_000,
    });
    expect((await appEntry(userId, app))?.lastError).toMatch(/^DestinationRefused: .*link-local/);
  });

  it('opens no connection to a refused loopback destination, neither for the SCIM URL nor for the OAuth2 token URL', async () => {
    const app = uniqueName('loopback');
    await grantCredentials(op.admin, { namespace: op.namespace, secret: SECRET, app, keys: ['id', 'secret'] });
    await createApp(
      app,
      {
        url: `${listenerUrl}/v2`,
        auth: {
          oauth2: {
            tokenUrl: `${listenerUrl}/token`,
            clientId: { name: SECRET, key: 'id' },
            clientSecret: { name: SECRET, key: 'secret' },
          },
        },
      },
      [],
    );
    const userId = await assignNewUser(app);
    // Both the app's check and the user's account sync have run and been refused before the count is read.
    await vi.waitFor(
      async () => expect((await condition(app, 'Ready'))?.reason, 'refused').toBe('DestinationRefused'),
      { timeout: 20_000 },
    );
    await vi.waitFor(async () => expect((await appEntry(userId, app))?.state, 'account refused').toBe('Failed'), {
      timeout: 20_000,
    });
    // The test API server listens on loopback too, so either reason may be named first.
    const refused = /127\.0\.0\.1, (a loopback address|the API server's address)/;
    expect((await appEntry(userId, app))?.lastError).toMatch(new RegExp(`^DestinationRefused: .*${refused.source}`));
    expect((await condition(app, 'Ready'))?.message).toMatch(refused);
    expect(connections).toBe(0);
  });

  it('uses a credentials key only for the apps its Secret grants it to', async () => {
    const app = uniqueName('ungranted');
    await createApp(app, { url: `${listenerUrl}/v2` }, []);
    const userId = await assignNewUser(app);
    await vi.waitFor(
      async () =>
        expect((await condition(app, 'Authenticated'))?.reason, 'key not granted').toBe('CredentialNotAllowed'),
      { timeout: 20_000 },
    );
    expect((await condition(app, 'Authenticated'))?.message).toContain(`Secret ${SECRET} key token is not granted`);
    await vi.waitFor(async () => expect((await appEntry(userId, app))?.state, 'account refused').toBe('Failed'), {
      timeout: 20_000,
    });
    expect((await appEntry(userId, app))?.lastError).toMatch(/^(CredentialNotAllowed|DestinationRefused): /);
    expect(connections).toBe(0);
  });

  it('refuses an http token URL unless the app opts into insecureHttp, at admission', async () => {
    await expect(
      createOurs(op.admin, 'DownstreamApp', uniqueName('plain'), {
        url: 'https://app.example.com/scim/v2',
        auth: {
          oauth2: {
            tokenUrl: 'http://login.example.com/token',
            clientId: { name: SECRET, key: 'id' },
            clientSecret: { name: SECRET, key: 'secret' },
          },
        },
      }),
    ).rejects.toThrow('auth.oauth2.tokenUrl must be https://');
  });
});
