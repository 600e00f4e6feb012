import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { expect, vi } from 'vitest';
import { createNamespace, createOurs, subjectCan, uniqueName } from '../support/cluster.ts';

/**
 * The end-to-end scenario, one code path for every target: the local control plane with the chart installed
 * (test/integration/helm-chart.test.ts) and a kind cluster running the image (scripts/e2e-kind.sh). Acting as an
 * identity provider: provision a user into a group over SCIM, map the group to `edit`, and let the real authorizer
 * decide, and (given a downstream SCIM service) see the account created there; then deactivate and expect the access
 * gone and the downstream account disabled.
 */
export interface E2eTarget {
  scimUrl: string;
  token: string;
  /** The connection the token belongs to (the chart's `token.connection`, `entra` by default). */
  connection: string;
  /** A kubeconfig allowed to create namespaces and AccessMappings and to ask SubjectAccessReviews. */
  admin: KubeConfig;
  /** A SCIM service the operator can reach, to check that an account is created and then disabled downstream. */
  downstream?: {
    url: string;
    token: string;
    /** Where the operator reads downstream credentials: its namespace and an allowed Secret name. */
    secretNamespace: string;
    secretName: string;
    /** The downstream account of a userName, read directly from the service. */
    account(userName: string): Promise<{ active?: boolean } | undefined>;
  };
}

export async function provisioningScenario(target: E2eTarget): Promise<void> {
  const scim = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${target.scimUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${target.token}`, 'content-type': 'application/scim+json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
  const namespace = await createNamespace(target.admin, uniqueName('e2e'));
  const userName = `${uniqueName('e2e-user')}@example.com`;
  const created = await scim('POST', '/Users', {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName,
    active: true,
    emails: [{ type: 'work', primary: true, value: userName }],
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const userId = String(created.body.id);
  const displayName = uniqueName('e2e-team');
  const group = await scim('POST', '/Groups', {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
    displayName,
    members: [{ value: userId }],
  });
  expect(group.status, JSON.stringify(group.body)).toBe(201);

  const downstream = target.downstream;
  const appName = uniqueName('e2e-app');
  if (downstream) {
    await target.admin.makeApiClient(CoreV1Api).createNamespacedSecret({
      namespace: downstream.secretNamespace,
      body: {
        // The Secret's manager grants the key to this app; no other app may use it.
        metadata: {
          name: downstream.secretName,
          annotations: { 'scim-operator.dev/allowed-apps': JSON.stringify({ token: [appName] }) },
        },
        stringData: { token: downstream.token },
      },
    });
    await createOurs(target.admin, 'DownstreamApp', appName, {
      url: downstream.url,
      connection: target.connection,
      tls: { insecureHttp: downstream.url.startsWith('http://') },
      auth: { bearer: { token: { name: downstream.secretName, key: 'token' } } },
      matchAttribute: 'userName',
      attributes: [{ path: 'userName', from: 'userName' }],
      deprovision: 'Deactivate',
    });
  }
  await createOurs(target.admin, 'AccessMapping', uniqueName('e2e-mapping'), {
    connection: target.connection,
    subjects: { groups: [{ displayName }] },
    roleBindings: [{ clusterRole: 'edit', namespaces: [namespace] }],
    ...(downstream ? { apps: [{ name: appName }] } : {}),
  });
  const attributes = { namespace, verb: 'create', group: 'apps', resource: 'deployments' };
  await vi.waitFor(
    async () =>
      expect(await subjectCan(target.admin, { user: userName }, attributes), 'the provisioned user is allowed').toBe(
        true,
      ),
    { timeout: 20_000 },
  );
  if (downstream) {
    await vi.waitFor(
      async () =>
        expect((await downstream.account(userName))?.active, 'an active account created downstream').toBe(true),
      { timeout: 20_000 },
    );
  }

  const disabled = await scim('PATCH', `/Users/${userId}`, {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
    Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
  });
  expect(disabled.status).toBe(200);
  await vi.waitFor(
    async () =>
      expect(await subjectCan(target.admin, { user: userName }, attributes), 'deactivated user denied').toBe(false),
    { timeout: 5_000 },
  );
  if (downstream) {
    await vi.waitFor(
      async () => expect((await downstream.account(userName))?.active, 'account disabled downstream').toBe(false),
      { timeout: 20_000 },
    );
  }
}
