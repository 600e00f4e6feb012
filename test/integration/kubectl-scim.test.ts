import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CoreV1Api, CustomObjectsApi, type KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { dump } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runPlugin } from '../../src/plugin/main.ts';
import { bufferOutput } from '../../src/plugin/output.ts';
import { REPORT_COLUMNS } from '../../src/plugin/report-rows.ts';
import {
  adminKubeConfig,
  controlPlane,
  createNamespace,
  createOurs,
  kubeConfigFor,
  subjectCan,
  uniqueName,
} from '../support/cluster.ts';
import { startTestOperator, type TestOperator } from '../support/operator.ts';

const RBAC = 'rbac.authorization.k8s.io';

/** RFC 4180, by hand: quoted fields may hold commas, CRLF and doubled quotes; every record ends with CRLF. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated quoted field');
        if (text[i] === '"' && text[i + 1] === '"') {
          field += '"';
          i += 2;
        } else if (text[i] === '"') {
          i++;
          break;
        } else {
          field += text[i];
          i++;
        }
      }
    } else if (c === ',') {
      record.push(field);
      field = '';
      i++;
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i += 2;
    } else {
      field += c;
      i++;
    }
  }
  expect(field, 'the last record ends with CRLF').toBe('');
  return records;
}

describe('kubectl scim, read-only, against the real control plane', () => {
  let op: TestOperator;
  let admin: KubeConfig;
  let kubeconfig: string;
  let nsA: string;
  let nsB: string;
  let nsC: string;
  const ada = `${uniqueName('ada')}@example.com`;
  const team = `${uniqueName('Ops')}, "core"`;
  const groupMapping = uniqueName('ops-edit');
  const directMapping = uniqueName('ada-view');
  let adaId: string;

  /** Runs the plugin in-process as a user who holds only read access and SubjectAccessReview create. */
  async function scim(...argv: string[]) {
    const out = bufferOutput();
    const status = await runPlugin(
      [...argv, '--kubeconfig', kubeconfig, '--operator-namespace', op.namespace, '--connection', op.connection].filter(
        (a, i, all) =>
          !(a === '--connection' && ['plan'].includes(all[0]!)) &&
          !(all[i - 1] === '--connection' && all[0] === 'plan'),
      ),
      out,
    );
    return { status, stdout: out.stdout, stderr: out.stderr };
  }

  const can = (user: string, namespace: string, verb = 'list', resource = 'deployments') =>
    subjectCan(admin, { user }, { namespace, verb, group: 'apps', resource });

  beforeAll(async () => {
    op = await startTestOperator();
    admin = adminKubeConfig();
    [nsA, nsB, nsC] = await Promise.all([createNamespace(admin), createNamespace(admin), createNamespace(admin)]);
    const core = admin.makeApiClient(CoreV1Api);
    const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
    // The operator's settings where the chart puts them: the plugin reads them from the ConfigMap.
    await core.createNamespacedConfigMap({
      namespace: op.namespace,
      body: { metadata: { name: 'scim-operator' }, data: { 'config.yaml': dump(op.settings) } },
    });

    const reader = uniqueName('auditor');
    const readerRole = uniqueName('scim-plugin-reader');
    await rbac.createClusterRole({
      body: {
        metadata: { name: readerRole },
        rules: [
          { apiGroups: ['scim-operator.dev'], resources: ['*'], verbs: ['get', 'list'] },
          { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list'] },
          {
            apiGroups: [RBAC],
            resources: ['roles', 'clusterroles', 'rolebindings', 'clusterrolebindings'],
            verbs: ['get', 'list'],
          },
          { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
        ],
      },
    });
    await rbac.createClusterRoleBinding({
      body: {
        metadata: { name: readerRole },
        roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: readerRole },
        subjects: [{ apiGroup: RBAC, kind: 'User', name: reader }],
      },
    });
    await rbac.createNamespacedRole({
      namespace: op.namespace,
      body: {
        metadata: { name: 'settings-reader' },
        rules: [{ apiGroups: [''], resources: ['configmaps'], resourceNames: ['scim-operator'], verbs: ['get'] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: op.namespace,
      body: {
        metadata: { name: 'settings-reader' },
        roleRef: { apiGroup: RBAC, kind: 'Role', name: 'settings-reader' },
        subjects: [{ apiGroup: RBAC, kind: 'User', name: reader }],
      },
    });
    kubeconfig = path.join(controlPlane().pkiDir, `${reader}.plugin.kubeconfig`);
    await writeFile(kubeconfig, (await kubeConfigFor(reader)).exportConfig(), { mode: 0o600 });

    const created = await op.scim('POST', '/Users', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: ada,
      displayName: 'Ada Lovelace',
      active: true,
    });
    expect(created.status).toBe(201);
    adaId = created.body.id;
    const group = await op.scim('POST', '/Groups', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName: team,
      members: [{ value: adaId }],
    });
    expect(group.status).toBe(201);
    await createOurs(admin, 'AccessMapping', groupMapping, {
      connection: op.connection,
      subjects: { groups: [{ displayName: team }] },
      roleBindings: [{ clusterRole: 'edit', namespaces: [nsA] }],
    });
    await createOurs(admin, 'AccessMapping', directMapping, {
      connection: op.connection,
      subjects: { users: [{ userName: ada }] },
      roleBindings: [{ clusterRole: 'view', namespaces: [nsB] }],
    });
    // Granted by hand, outside the operator: deactivating ada does not revoke it.
    await rbac.createNamespacedRoleBinding({
      namespace: nsC,
      body: {
        metadata: { name: 'ada-by-hand' },
        roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'admin' },
        subjects: [{ apiGroup: RBAC, kind: 'User', name: ada }],
      },
    });
    await vi.waitFor(
      async () => {
        expect(await can(ada, nsA, 'create'), 'edit in a').toBe(true);
        expect(await can(ada, nsB), 'view in b').toBe(true);
      },
      { timeout: 15_000 },
    );
  });
  afterAll(async () => {
    await op?.stop();
  });

  it('whois shows both managed grants with their provenance, confirmed by the cluster, and the hand-made binding as unmanaged', async () => {
    const { status, stdout, stderr } = await scim('whois', ada);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(stdout).toMatch(/^User: +\S+@example\.com$/m);
    expect(stdout).toMatch(/^State: +active$/m);
    expect(stdout).toContain(`Groups:         ${team}`);
    const line = (text: string) => stdout.split('\n').find((l) => l.includes(text)) ?? '';
    expect(line(groupMapping)).toMatch(new RegExp(`^  ${nsA} +ClusterRole/edit +${groupMapping} +group:`));
    expect(line(groupMapping)).toContain('allowed: ');
    expect(line(directMapping)).toMatch(new RegExp(`^  ${nsB} +ClusterRole/view +${directMapping} +user `));
    expect(line(directMapping)).toContain('allowed: ');
    expect(line('ada-by-hand')).toMatch(
      new RegExp(`RoleBinding/${nsC}/ada-by-hand +ClusterRole/admin +User/${ada} +allowed: `),
    );
    expect(line('ada-by-hand')).not.toContain('ROGUE');
  });

  it('whois finds the user by id too', async () => {
    const { status, stdout } = await scim('whois', adaId);
    expect(status).toBe(0);
    expect(stdout).toMatch(new RegExp(`^Id: +${adaId}$`, 'm'));
  });

  it('report --format csv parses back to exactly one row per grant, with the documented columns', async () => {
    const { status, stdout } = await scim('report', '--format', 'csv');
    expect(status).toBe(0);
    const [header, ...rows] = parseCsv(stdout);
    expect(header).toEqual([...REPORT_COLUMNS]);
    const api = admin.makeApiClient(CustomObjectsApi);
    const created = async (plural: string, name: string) =>
      (
        (await api.getClusterCustomObject({ group: 'scim-operator.dev', version: 'v1alpha1', plural, name })) as {
          metadata: { creationTimestamp: string };
        }
      ).metadata.creationTimestamp;
    const userCreated = await created('scimusers', adaId);
    const common = [ada, adaId, op.connection, 'active'];
    const byNamespace = (a: string[], b: string[]) => a[4]!.localeCompare(b[4]!);
    expect(rows.sort(byNamespace)).toEqual(
      [
        [
          ...common,
          nsA,
          'ClusterRole',
          'edit',
          groupMapping,
          'Active',
          `group:${team}`,
          userCreated,
          await created('accessmappings', groupMapping),
          '',
        ],
        [
          ...common,
          nsB,
          'ClusterRole',
          'view',
          directMapping,
          'Active',
          'user',
          userCreated,
          await created('accessmappings', directMapping),
          '',
        ],
      ].sort(byNamespace),
    );
  });

  it('report --namespace keeps only the grants in that namespace, and json carries the same rows', async () => {
    const { stdout } = await scim('report', '--format', 'json', '--namespace', nsB);
    const rows = JSON.parse(stdout) as Record<string, string>[];
    expect(rows.map((r) => [r.userName, r.namespace, r.role, r.mapping])).toEqual([[ada, nsB, 'view', directMapping]]);
  });

  it('plan shows a grant, a revocation and a refusal, and exits 1', async () => {
    const file = path.join(controlPlane().pkiDir, `${directMapping}.yaml`);
    await writeFile(
      file,
      dump({
        apiVersion: 'scim-operator.dev/v1alpha1',
        kind: 'AccessMapping',
        metadata: { name: directMapping },
        spec: {
          connection: op.connection,
          subjects: { users: [{ userName: ada }] },
          roleBindings: [
            { clusterRole: 'view', namespaces: [nsC] },
            { clusterRole: 'cluster-admin', namespaces: [nsC] },
          ],
        },
      }),
    );
    const { status, stdout } = await scim('plan', '-f', file);
    expect(stdout).toMatch(new RegExp(`^  grant +${nsC} +ClusterRole/view +User/${ada}$`, 'm'));
    expect(stdout).toMatch(new RegExp(`^  revoke +${nsB} +ClusterRole/view +User/${ada}$`, 'm'));
    expect(stdout).toMatch(
      /^ {2}RoleNotAllowed +<none> +ClusterRole cluster-admin is not in the operator's allowlist$/m,
    );
    expect(status).toBe(1);
  });

  it('plan exits 0 when nothing is refused', async () => {
    const file = path.join(controlPlane().pkiDir, `${groupMapping}.yaml`);
    await writeFile(
      file,
      dump({
        apiVersion: 'scim-operator.dev/v1alpha1',
        kind: 'AccessMapping',
        metadata: { name: groupMapping },
        spec: {
          connection: op.connection,
          subjects: { groups: [{ displayName: team }] },
          roleBindings: [{ clusterRole: 'edit', namespaces: [nsA] }],
        },
      }),
    );
    const { status, stdout } = await scim('plan', '-f', file);
    expect(stdout).toContain('no change to bindings');
    expect(status).toBe(0);
  });

  it('after deactivation, whois shows no managed grant and flags the hand-made binding the cluster still honours', async () => {
    const patched = await op.scim('PATCH', `/Users/${adaId}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'Replace', path: 'active', value: false }],
    });
    expect(patched.status).toBe(200);
    await vi.waitFor(
      async () => {
        expect(await can(ada, nsA, 'create'), 'edit in a revoked').toBe(false);
        expect(await can(ada, nsB), 'view in b revoked').toBe(false);
      },
      { timeout: 15_000 },
    );
    const { status, stdout } = await scim('whois', ada);
    expect(status).toBe(0);
    expect(stdout).toMatch(/^State: +inactive$/m);
    expect(stdout).toContain('none: the user is inactive, so the operator grants nothing');
    const rogue = stdout.split('\n').find((l) => l.includes('ada-by-hand')) ?? '';
    expect(rogue).toContain('allowed: ');
    expect(rogue).toContain('ROGUE: user is inactive; remove this binding');

    const report = await scim('report', '--format', 'csv');
    expect(parseCsv(report.stdout)).toEqual([[...REPORT_COLUMNS]]);
  });

  it('after a hard delete, whois exits 1 and still finds the hand-made binding under the subject name', async () => {
    expect((await op.scim('DELETE', `/Users/${adaId}`)).status).toBe(204);
    const api = admin.makeApiClient(CustomObjectsApi);
    await vi.waitFor(
      async () =>
        expect(
          await api
            .getClusterCustomObject({
              group: 'scim-operator.dev',
              version: 'v1alpha1',
              plural: 'scimusers',
              name: adaId,
            })
            .then(
              () => 'present',
              (e: { code?: number }) => (e.code === 404 ? 'gone' : 'error'),
            ),
        ).toBe('gone'),
      { timeout: 15_000 },
    );
    const { status, stdout, stderr } = await scim('whois', ada);
    expect(status).toBe(1);
    expect(stderr).toContain(`no SCIM user with id, userName or email "${ada}"`);
    const rogue = stdout.split('\n').find((l) => l.includes('ada-by-hand')) ?? '';
    expect(rogue).toMatch(/allowed: .*ROGUE: no SCIM user/);
  });
});
