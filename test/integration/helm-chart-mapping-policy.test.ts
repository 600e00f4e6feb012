import { CustomObjectsApi, type KubernetesObject, KubernetesObjectApi } from '@kubernetes/client-node';
import { loadAll } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { adminKubeConfig, createOurs, uniqueName } from '../support/cluster.ts';
import { chartDir, helm } from '../support/helm.ts';

const admin = adminKubeConfig();
const release = uniqueName('vap');
const mappingSpec = (roleBindings: object[], extra: object = {}) => ({
  subjects: { users: [{ userName: 'ada@example.com' }] },
  roleBindings,
  ...extra,
});
const rejection = (err: unknown) => String((err as { body?: unknown }).body ?? err);

describe('the chart refuses bad AccessMappings at apply time (admissionPolicy.accessMappings)', () => {
  let docs: KubernetesObject[] = [];

  beforeAll(async () => {
    // The chart defaults (allowedRoles empty): every message expression must evaluate with an empty list too.
    // Rendered from the chart with its settings, applied as the chart would apply them: only the two policy objects,
    // so no operator is needed to see the API server refuse.
    const rendered = await helm([
      'template',
      release,
      chartDir,
      '-n',
      'ops',
      '--set',
      'admissionPolicy.accessMappings=true',
      '--show-only',
      'templates/mapping-admission-policy.yaml',
    ]);
    docs = (loadAll(rendered.stdout) as (KubernetesObject | null)[]).filter((d): d is KubernetesObject => d !== null);
    expect(docs.map((d) => d.kind)).toEqual(['ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']);
    const api = KubernetesObjectApi.makeApiClient(admin);
    for (const doc of docs) await api.create(doc);
  });
  afterAll(async () => {
    const api = KubernetesObjectApi.makeApiClient(admin);
    for (const doc of docs.reverse()) await api.delete(doc).catch(() => undefined);
  });

  it('rejects a mapping with a role outside the allowlist, naming the role and the setting', async () => {
    // The policy is enforced once the API server has loaded it: until then a create would succeed.
    await vi.waitFor(
      async () => {
        const err = await createOurs(
          admin,
          'AccessMapping',
          uniqueName('admin-role'),
          mappingSpec([{ clusterRole: 'cluster-admin', namespaces: ['team-a'] }]),
        ).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err, 'refused').toBeDefined();
        expect(rejection(err)).toContain('ClusterRole cluster-admin not in the operator allowlist');
        expect(rejection(err)).toContain('settings roles.allowedClusterRoles');
      },
      { timeout: 20_000, interval: 500 },
    );
  });

  it('rejects a Role and a cluster-wide binding outside their allowlists', async () => {
    await expect(
      createOurs(admin, 'AccessMapping', uniqueName('role'), mappingSpec([{ role: 'owner', namespaces: ['team-a'] }])),
    ).rejects.toSatisfy((e) => rejection(e).includes('Role owner not in the operator allowlist'));
    await expect(
      createOurs(admin, 'AccessMapping', uniqueName('cluster-wide'), {
        subjects: { users: [{ userName: 'ada@example.com' }] },
        clusterRoleBindings: [{ clusterRole: 'edit' }],
      }),
    ).rejects.toSatisfy((e) => rejection(e).includes('ClusterRole edit may not be bound cluster-wide'));
  });

  it('rejects a mapping naming a protected namespace, the operator namespace included', async () => {
    for (const namespace of ['kube-system', 'ops'])
      await expect(
        createOurs(
          admin,
          'AccessMapping',
          uniqueName('protected'),
          mappingSpec([{ clusterRole: 'view', namespaces: [namespace] }]),
        ),
      ).rejects.toSatisfy((e) => rejection(e).includes(`namespace ${namespace} is protected`));
  });

  it('accepts an allowlisted mapping, and refuses an update that makes it bad', async () => {
    const name = uniqueName('fine');
    await createOurs(
      admin,
      'AccessMapping',
      name,
      mappingSpec([
        { clusterRole: 'view', namespaces: ['team-a'] },
        { clusterRole: 'edit', namespaceSelector: { matchLabels: { team: 'a' } } },
      ]),
    );
    const objects = admin.makeApiClient(CustomObjectsApi);
    const current = (await objects.getClusterCustomObject({
      group: 'scim-operator.dev',
      version: 'v1alpha1',
      plural: 'accessmappings',
      name,
    })) as { spec: { roleBindings: object[] } };
    await expect(
      objects.replaceClusterCustomObject({
        group: 'scim-operator.dev',
        version: 'v1alpha1',
        plural: 'accessmappings',
        name,
        body: {
          ...current,
          spec: { ...current.spec, roleBindings: [{ clusterRole: 'admin', namespaces: ['team-a'] }] },
        },
      }),
    ).rejects.toSatisfy((e) => rejection(e).includes('ClusterRole admin not in the operator allowlist'));
    await objects.deleteClusterCustomObject({
      group: 'scim-operator.dev',
      version: 'v1alpha1',
      plural: 'accessmappings',
      name,
    });
  });
});
