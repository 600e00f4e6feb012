import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
  type V1ClusterRole,
} from '@kubernetes/client-node';
import { loadAll } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { crds } from '../../src/api/crds.ts';
import { operatorClusterRole, operatorNamespaceRole } from '../../src/api/operator-rbac.ts';
import { type RunningOperator, startOperator } from '../../src/main.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { loadSettings, parseSettings } from '../../src/settings.ts';
import { provisioningScenario } from '../e2e/provisioning-scenario.ts';
import { adminKubeConfig, controlPlane, subjectCan, uniqueName } from '../support/cluster.ts';
import { chartDir, helm } from '../support/helm.ts';
import { type Scim2Server, startScim2Server } from '../support/scim2-server.ts';

const allOn = path.join(chartDir, 'ci/all-on-values.yaml');
type Doc = { kind: string; metadata: { name: string }; rules?: V1ClusterRole['rules'] };
const docs = (yaml: string) => (loadAll(yaml) as (Doc | null)[]).filter((d): d is Doc => d !== null);

describe('the Helm chart, rendered', () => {
  it.each([
    ['default values', []],
    ['every option turned on', ['-f', allOn]],
  ])('lints and renders with %s', async (_, args) => {
    await helm(['lint', chartDir, '--strict', ...args]);
    const rendered = docs((await helm(['template', 'r', chartDir, '-n', 'ops', ...args])).stdout);
    expect(
      rendered
        .filter((d) => d.kind === 'CustomResourceDefinition')
        .map((d) => d.metadata.name)
        .sort(),
    ).toEqual(
      Object.values(crds)
        .map((c) => c.metadata?.name)
        .sort(),
    );
    expect(rendered.map((d) => d.kind)).toEqual(
      expect.arrayContaining(['Deployment', 'ClusterRole', 'Role', 'Secret', 'Service', 'ConfigMap']),
    );
  });

  it('grants the operator exactly the ClusterRole the tests run it with: no *, no escalate, bind only on the allowlist', async () => {
    for (const args of [[], ['-f', allOn]]) {
      const rendered = docs((await helm(['template', 'r', chartDir, '-n', 'ops', ...args])).stdout);
      const clusterRole = rendered.find((d) => d.kind === 'ClusterRole' && d.metadata.name === 'r-scim-operator')!;
      const expected = operatorClusterRole({
        name: 'x',
        namespace: 'ops',
        tokenSecretName: 'x',
        allowedClusterRoles: ['view', 'edit'],
        allowClusterRoleBindings: ['view'],
        allowedRoles: args.length ? ['deployer'] : [],
      });
      expect(clusterRole.rules).toEqual(expected.rules);
      const role = rendered.find((d) => d.kind === 'Role')!;
      const expectedRole = operatorNamespaceRole({
        name: 'x',
        namespace: 'ops',
        tokenSecretName: 'r-scim-operator-tokens',
        allowedClusterRoles: [],
        allowedRoles: [],
        downstreamSecretNames: ['downstream-credentials'],
      });
      expect(role.rules).toEqual(expectedRole.rules);
      const flat = JSON.stringify(rendered.filter((d) => d.kind === 'ClusterRole' || d.kind === 'Role'));
      expect(flat).not.toContain('"*"');
      expect(flat).not.toContain('escalate');
      expect(flat).not.toContain('"admin"');
    }
  });

  it('binds, by default, neither admin nor cluster-admin, and protects the system namespaces', async () => {
    const rendered = docs((await helm(['template', 'r', chartDir, '-n', 'ops'])).stdout);
    const config = rendered.find((d) => d.kind === 'ConfigMap') as unknown as { data: Record<string, string> };
    const settings = parseSettings(config.data['config.yaml'] ?? '');
    expect(settings.roles.allowedClusterRoles).toEqual(['view', 'edit']);
    expect(settings.roles.allowClusterRoleBindings).toEqual(['view']);
    expect(settings.bindings.protectedNamespaces).toEqual(['kube-system', 'kube-public', 'kube-node-lease']);
    expect(rendered.map((d) => d.kind)).not.toContain('NetworkPolicy');
    expect(rendered.map((d) => d.kind)).not.toContain('ValidatingAdmissionPolicy');
  });

  it('renders the opt-in egress NetworkPolicy and the admission policy that keeps the operator to its own bindings', async () => {
    const rendered = docs((await helm(['template', 'r', chartDir, '-n', 'ops', '-f', allOn])).stdout) as unknown as {
      kind: string;
      metadata: { name: string };
      spec: Record<string, unknown>;
    }[];
    const egress = rendered.find((d) => d.kind === 'NetworkPolicy' && d.metadata.name.endsWith('-egress'));
    expect(egress?.spec.policyTypes).toEqual(['Egress']);
    expect(JSON.stringify(egress?.spec.egress)).toContain('203.0.113.0/24');
    expect(JSON.stringify(egress?.spec.egress)).toContain('"port":53');
    const policy = rendered.find((d) => d.kind === 'ValidatingAdmissionPolicy');
    expect(JSON.stringify(policy?.spec)).toContain('system:serviceaccount:ops:scim-operator');
    expect(rendered.some((d) => d.kind === 'ValidatingAdmissionPolicyBinding')).toBe(true);
  });

  it.each([
    ['replicaCount=abc', "at '/replicaCount': got string, want integer"],
    ['replicaCount=0', "at '/replicaCount'"],
    ['image.pullPolicy=Sometimes', "at '/image/pullPolicy'"],
    ['settings.roles.allowedClusterroles[0]=view', "additional properties 'allowedClusterroles' not allowed"],
    ['settings.subjects.userAttribute=mail', "at '/settings/subjects/userAttribute'"],
    ['settings.bindings.maxSubjectsPerBinding=0', "at '/settings/bindings/maxSubjectsPerBinding'"],
    ['scim.publicUrl=not a url', "at '/scim/publicUrl'"],
    ['token.connection=Entra ID', "at '/token/connection'"],
    ['unknownTopLevel=1', "additional properties 'unknownTopLevel' not allowed"],
  ])('refuses --set %s with a readable error', async (set, message) => {
    await expect(helm(['template', 'r', chartDir, '--set', set])).rejects.toThrow(message);
  });
});

describe('the Helm chart, installed into the control plane', () => {
  const release = uniqueName('scim');
  const namespace = uniqueName('scim-system');
  let admin: KubeConfig;
  let operator: RunningOperator | undefined;
  let saKubeConfig: KubeConfig;
  const fullname = `${release}-scim-operator`;
  const sa = `system:serviceaccount:${namespace}:${fullname}`;

  beforeAll(async () => {
    admin = adminKubeConfig();
    // The CRDs are already installed by the test setup; make them adoptable, as on a cluster where they were
    // applied before the chart took them over.
    const ext = admin.makeApiClient(ApiextensionsV1Api);
    for (const crd of Object.values(crds)) {
      await ext.patchCustomResourceDefinition(
        {
          name: crd.metadata!.name!,
          body: {
            metadata: {
              labels: { 'app.kubernetes.io/managed-by': 'Helm' },
              annotations: { 'meta.helm.sh/release-name': release, 'meta.helm.sh/release-namespace': namespace },
            },
          },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    }
    // The test's downstream scim2-server listens on loopback, which the operator refuses unless allowed; the
    // admission policy is on, so the API server itself keeps the operator to the bindings it labels.
    await helm([
      'install',
      release,
      chartDir,
      '-n',
      namespace,
      '--create-namespace',
      '--set',
      'replicaCount=2',
      '--set',
      'settings.downstream.allowedAddresses={127.0.0.0/8}',
      '--set',
      'admissionPolicy.enabled=true',
      // Other suites' operators share the cluster: this installation serves its own connection only.
      '--set',
      'settings.connections={entra}',
    ]);
  });
  let downstreamServer: Scim2Server | undefined;
  afterAll(async () => {
    await operator?.stop();
    await downstreamServer?.stop();
  });

  it('creates every object, and its ServiceAccount runs the operator out of cluster through the end-to-end scenario, downstream account included', async () => {
    const core = admin.makeApiClient(CoreV1Api);
    const secret = await core.readNamespacedSecret({ name: `${fullname}-tokens`, namespace });
    const token = Buffer.from(secret.data?.entra ?? '', 'base64').toString();
    expect(token).toHaveLength(48);
    const config = await core.readNamespacedConfigMap({ name: fullname, namespace });
    const configFile = path.join(controlPlane().pkiDir, `${release}-config.yaml`);
    await writeFile(configFile, config.data?.['config.yaml'] ?? '');

    // A token of the chart's own ServiceAccount: the operator gets exactly the chart's permissions.
    const request = await core.createNamespacedServiceAccountToken({
      name: fullname,
      namespace,
      body: { spec: { audiences: [], expirationSeconds: 3600 } },
    });
    saKubeConfig = new KubeConfig();
    saKubeConfig.loadFromOptions({
      clusters: [
        {
          name: 'local',
          server: controlPlane().server,
          caData: Buffer.from(await readFile(path.join(controlPlane().pkiDir, 'ca.crt'))).toString('base64'),
        },
      ],
      users: [{ name: 'sa', token: request.status?.token }],
      contexts: [{ name: 'sa', cluster: 'local', user: 'sa' }],
      currentContext: 'sa',
    });
    const kubeconfig = path.join(controlPlane().pkiDir, `${release}-sa.kubeconfig`);
    await writeFile(kubeconfig, saKubeConfig.exportConfig(), { mode: 0o600 });
    operator = await startOperator(
      {
        kubeconfig,
        scimAddress: { host: '127.0.0.1', port: 0 },
        metricsAddress: { host: '127.0.0.1', port: 0 },
        tokenSecret: { namespace, name: `${fullname}-tokens` },
        logLevel: 'silent',
        requestTimeoutMs: 30_000,
        configFile,
      },
      { logger: createLogger('silent'), settings: await loadSettings(configFile), onLeadershipLost: () => {} },
    );
    downstreamServer = await startScim2Server(['downstream-token']);
    const server = downstreamServer;
    await provisioningScenario({
      scimUrl: operator.scimUrl,
      token,
      connection: 'entra',
      admin,
      downstream: {
        url: server.url,
        token: 'downstream-token',
        secretNamespace: namespace,
        secretName: 'downstream-credentials',
        async account(userName) {
          const found = await server.request('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`);
          return found.body?.Resources?.[0];
        },
      },
    });
  });

  it('leaves its ServiceAccount unable to read other Secrets, bind a role outside the allowlist, or escalate', async () => {
    const can = (attrs: Parameters<typeof subjectCan>[2]) =>
      subjectCan(admin, { user: sa, groups: ['system:serviceaccounts'] }, attrs);
    expect(await can({ namespace, verb: 'get', resource: 'secrets', name: `${fullname}-tokens` })).toBe(true);
    expect(await can({ namespace, verb: 'get', resource: 'secrets', name: 'another-secret' })).toBe(false);
    expect(await can({ namespace, verb: 'list', resource: 'secrets' })).toBe(false);
    expect(await can({ namespace: 'kube-system', verb: 'get', resource: 'secrets', name: `${fullname}-tokens` })).toBe(
      false,
    );
    expect(
      await can({ verb: 'bind', group: 'rbac.authorization.k8s.io', resource: 'clusterroles', name: 'edit' }),
    ).toBe(true);
    expect(
      await can({ verb: 'bind', group: 'rbac.authorization.k8s.io', resource: 'clusterroles', name: 'cluster-admin' }),
    ).toBe(false);
    expect(
      await can({ verb: 'escalate', group: 'rbac.authorization.k8s.io', resource: 'clusterroles', name: 'edit' }),
    ).toBe(false);
    expect(await can({ verb: 'create', group: 'rbac.authorization.k8s.io', resource: 'clusterroles' })).toBe(false);
  });

  it('lets the admission policy refuse the operator a binding it did not label, where RBAC alone would allow it', async () => {
    const rbacAdmin = admin.makeApiClient(RbacAuthorizationV1Api);
    const rbacAsOperator = saKubeConfig.makeApiClient(RbacAuthorizationV1Api);
    const name = uniqueName('not-ours');
    const body = {
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: uniqueName('someone') }],
    };
    await rbacAdmin.createNamespacedRoleBinding({ namespace, body });
    const can = (verb: string) =>
      subjectCan(
        admin,
        { user: sa, groups: ['system:serviceaccounts'] },
        {
          namespace,
          verb,
          group: 'rbac.authorization.k8s.io',
          resource: 'rolebindings',
          name,
        },
      );
    expect(await can('delete')).toBe(true);
    // The policy is enforced once the API server has loaded it; until then a delete would succeed.
    await vi.waitFor(
      () =>
        expect(
          rbacAsOperator.createNamespacedRoleBinding({
            namespace,
            body: { ...body, metadata: { name: uniqueName('probe') } },
          }),
          'admission policy enforced',
        ).rejects.toSatisfy((err) =>
          String((err as { body?: unknown }).body).includes('only the RoleBindings and ClusterRoleBindings it labels'),
        ),
      { timeout: 20_000 },
    );
    await expect(rbacAsOperator.deleteNamespacedRoleBinding({ name, namespace })).rejects.toThrow(
      /only the RoleBindings and ClusterRoleBindings it labels/,
    );
    expect((await rbacAdmin.readNamespacedRoleBinding({ name, namespace })).metadata?.name).toBe(name);
  });

  it('keeps every ScimUser, ScimGroup and AccessMapping, and the token, across helm upgrade to the working tree chart', async () => {
    const objects = admin.makeApiClient(CustomObjectsApi);
    const count = async (plural: string) =>
      (
        (await objects.listClusterCustomObject({ group: 'scim-operator.dev', version: 'v1alpha1', plural })) as {
          items: unknown[];
        }
      ).items.length;
    const before = {
      users: await count('scimusers'),
      groups: await count('scimgroups'),
      mappings: await count('accessmappings'),
    };
    expect(before.users).toBeGreaterThan(0);
    const core = admin.makeApiClient(CoreV1Api);
    const tokenBefore = (await core.readNamespacedSecret({ name: `${fullname}-tokens`, namespace })).data;
    await helm(['upgrade', release, chartDir, '-n', namespace, '--set', 'replicaCount=3', '--set', 'logLevel=debug']);
    const after = {
      users: await count('scimusers'),
      groups: await count('scimgroups'),
      mappings: await count('accessmappings'),
    };
    expect(after.users).toBeGreaterThanOrEqual(before.users);
    expect(after.groups).toBeGreaterThanOrEqual(before.groups);
    expect(after.mappings).toBeGreaterThanOrEqual(before.mappings);
    expect((await core.readNamespacedSecret({ name: `${fullname}-tokens`, namespace })).data).toEqual(tokenBefore);
    const crd = await admin
      .makeApiClient(ApiextensionsV1Api)
      .readCustomResourceDefinition({ name: 'scimusers.scim-operator.dev' });
    expect(crd.metadata?.annotations?.['helm.sh/resource-policy']).toBe('keep');
  });
});
