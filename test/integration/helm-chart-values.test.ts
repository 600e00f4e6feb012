import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api } from '@kubernetes/client-node';
import { dump, loadAll } from 'js-yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { alertNames } from '../../src/chart/values-schema.ts';
import { adminKubeConfig, controlPlane, uniqueName } from '../support/cluster.ts';
import { chartDir, helm } from '../support/helm.ts';

/** The values platform teams expect of a chart (cert-manager, external-secrets, ingress-nginx), rendered. */
type Doc = {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: rendered manifests are checked by shape in each test
  spec?: any;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  rules?: any[];
  data?: Record<string, string>;
};
const run = promisify(execFile);
const allOn = path.join(chartDir, 'ci/all-on-values.yaml');
const render = async (args: string[], chart = chartDir) =>
  (loadAll((await helm(['template', 'r', chart, '-n', 'ops', ...args])).stdout) as (Doc | null)[]).filter(
    (d): d is Doc => d !== null,
  );
const one = (docs: Doc[], kind: string, name?: string) => {
  const found = docs.filter((d) => d.kind === kind && (name === undefined || d.metadata.name === name));
  expect(found, `${kind} ${name ?? ''}`).toHaveLength(1);
  return found[0]!;
};
const podSpec = (docs: Doc[]) => one(docs, 'Deployment').spec.template.spec;

const temp: string[] = [];
afterAll(async () => {
  for (const dir of temp) await rm(dir, { recursive: true, force: true });
});

describe('the chart as a subchart', () => {
  it('takes global and its own values from a parent chart and labels every object, CRDs and the test pod included', async () => {
    const parent = await mkdtemp(path.join(tmpdir(), 'scim-parent-'));
    temp.push(parent);
    await writeFile(
      path.join(parent, 'Chart.yaml'),
      [
        'apiVersion: v2',
        'name: platform',
        'version: 1.0.0',
        'dependencies:',
        '  - name: scim-operator',
        `    version: ">=0.0.0-0"`,
        `    repository: file://${chartDir}`,
        '    condition: scim-operator.enabled',
        '',
      ].join('\n'),
    );
    await writeFile(
      path.join(parent, 'values.yaml'),
      [
        'global:',
        '  commonLabels: { example.com/cost-center: "4711" }',
        '  imagePullSecrets: [{ name: platform-pull }]',
        '  somethingOtherChartsRead: { a: 1 }',
        'scim-operator:',
        '  enabled: true',
        '  commonLabels: { example.com/part-of: identity }',
        '',
      ].join('\n'),
    );
    await helm(['dependency', 'build', parent]);

    const docs = await render([], parent);
    expect(docs.length).toBeGreaterThan(10);
    for (const doc of docs) {
      expect(doc.metadata.labels, `${doc.kind} ${doc.metadata.name}`).toMatchObject({
        'example.com/cost-center': '4711',
        'example.com/part-of': 'identity',
        'app.kubernetes.io/managed-by': 'Helm',
      });
    }
    expect(docs.map((d) => d.kind)).toEqual(expect.arrayContaining(['CustomResourceDefinition', 'Pod', 'Secret']));
    const pod = one(docs, 'Deployment').spec.template;
    expect(pod.metadata.labels).toMatchObject({ 'example.com/cost-center': '4711', 'example.com/part-of': 'identity' });
    expect(pod.spec.imagePullSecrets).toEqual([{ name: 'platform-pull' }]);
    expect(one(docs, 'Pod').spec.imagePullSecrets).toEqual([{ name: 'platform-pull' }]);

    expect(await render(['--set', 'scim-operator.enabled=false'], parent)).toEqual([]);
    await expect(render(['--set', 'scim-operator.replicaCount=0'], parent)).rejects.toThrow("at '/replicaCount'");
  });
});

describe('the chart, with every option turned on', () => {
  it('renders objects the API server accepts (server-side dry run; Prometheus Operator kinds and CRDs aside)', async () => {
    const namespace = uniqueName('all-on');
    await adminKubeConfig()
      .makeApiClient(CoreV1Api)
      .createNamespace({ body: { metadata: { name: namespace } } });
    const rendered = (
      await helm([
        'template',
        'r',
        chartDir,
        '-n',
        namespace,
        '-f',
        allOn,
        '--set',
        `grafanaDashboard.namespace=${namespace}`,
      ])
    ).stdout;
    const skipped = ['CustomResourceDefinition', 'PrometheusRule', 'ServiceMonitor', 'AccessMapping'];
    const docs = (loadAll(rendered) as (Doc | null)[]).filter((d): d is Doc => d !== null && !skipped.includes(d.kind));
    expect(docs.map((d) => d.kind)).toEqual(expect.arrayContaining(['Deployment', 'Pod', 'ClusterRole']));
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'scim-all-on-')), 'all-on.yaml');
    temp.push(path.dirname(file));
    await writeFile(file, docs.map((d) => dump(d)).join('---\n'));
    const kubectl = path.join(controlPlane().binDir, 'kubectl');
    const { stdout } = await run(kubectl, [
      'apply',
      '--dry-run=server',
      '-f',
      file,
      `--kubeconfig=${controlPlane().adminKubeconfig}`,
    ]);
    expect(stdout.trim().split('\n')).toHaveLength(docs.length);
    expect(stdout).toContain('deployment.apps/r-scim-operator created (server dry run)');
  });

  it('runs the pinned image with the pod and container settings from the values', async () => {
    const docs = await render(['-f', allOn]);
    const spec = podSpec(docs);
    const [container] = spec.containers;
    expect(container.image).toBe(
      'registry.example.com/scim-operator@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    );
    expect(one(docs, 'Deployment').spec.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
    });
    expect(spec.imagePullSecrets).toEqual([{ name: 'global-regcred' }, { name: 'regcred' }]);
    expect(spec.securityContext).toMatchObject({ runAsUser: 10001, fsGroup: 10001 });
    expect(container.startupProbe).toEqual({
      httpGet: { path: '/healthz', port: 'metrics' },
      initialDelaySeconds: 1,
      periodSeconds: 3,
      timeoutSeconds: 2,
      failureThreshold: 40,
    });
    expect(container.livenessProbe).toMatchObject({ httpGet: { path: '/healthz' }, periodSeconds: 15 });
    expect(container.readinessProbe).toMatchObject({ httpGet: { path: '/readyz' }, failureThreshold: 2 });
    expect(container.args.at(-1)).toBe('--request-timeout=20000');
    expect(container.args).toContain('--log-level=debug');
    expect(container.env).toEqual([
      { name: 'TMPDIR', value: '/tmp' },
      { name: 'NODE_EXTRA_CA_CERTS', value: '/etc/ssl/corporate/ca.crt' },
    ]);
    expect(container.volumeMounts.map((m: { name: string }) => m.name)).toEqual(['config', 'tmp', 'ca-bundle']);
    expect(spec.volumes.map((v: { name: string }) => v.name)).toEqual(['config', 'tmp', 'ca-bundle']);
    expect(one(docs, 'Pod').spec.containers[0].image).toBe('registry.example.com/curl:8.11.1');
  });

  it('spreads pods by topologySpreadConstraints, filling in a label selector for these pods where none is given', async () => {
    const selector = { matchLabels: { 'app.kubernetes.io/name': 'scim-operator', 'app.kubernetes.io/instance': 'r' } };
    const affinity =
      '{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[{"key":"pool","operator":"In","values":["ops"]}]}]}}}';
    // Before, a hard-coded spread was dropped as soon as affinity was set; now both apply.
    const withAffinity = podSpec(await render(['--set-json', `affinity=${affinity}`]));
    expect(withAffinity.affinity.nodeAffinity).toBeDefined();
    expect(withAffinity.topologySpreadConstraints).toEqual([
      {
        maxSkew: 1,
        topologyKey: 'kubernetes.io/hostname',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: selector,
      },
    ]);
    const custom = podSpec(await render(['-f', allOn])).topologySpreadConstraints;
    expect(custom).toEqual([
      {
        maxSkew: 1,
        topologyKey: 'topology.kubernetes.io/zone',
        whenUnsatisfiable: 'DoNotSchedule',
        labelSelector: selector,
      },
      {
        maxSkew: 1,
        topologyKey: 'kubernetes.io/hostname',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'scim-operator' } },
      },
    ]);
    expect(
      podSpec(await render(['--set-json', 'topologySpreadConstraints=[]'])).topologySpreadConstraints,
    ).toBeUndefined();
  });

  it('adds an aggregated, read-only viewer ClusterRole for the identity kinds only when asked', async () => {
    const viewer = one(await render(['-f', allOn]), 'ClusterRole', 'r-scim-operator-identity-viewer');
    expect(viewer.metadata.labels?.['rbac.authorization.k8s.io/aggregate-to-view']).toBe('true');
    expect(viewer.rules).toEqual([
      {
        apiGroups: ['scim-operator.dev'],
        resources: ['scimusers', 'scimgroups', 'scimgroupmembers'],
        verbs: ['get', 'list', 'watch'],
      },
    ]);
    const defaults = await render([]);
    expect(defaults.filter((d) => d.kind === 'ClusterRole').map((d) => d.metadata.name)).toEqual(['r-scim-operator']);
  });

  it('renders no RBAC objects with rbac.create=false, and still the ServiceAccount', async () => {
    const docs = await render(['--set', 'rbac.create=false']);
    const kinds = docs.map((d) => d.kind);
    for (const kind of ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']) expect(kinds).not.toContain(kind);
    expect(kinds).toEqual(expect.arrayContaining(['ServiceAccount', 'Deployment']));
  });

  it('links every alert to its runbook, leaves out the disabled ones, and relabels the scrape', async () => {
    const docs = await render(['-f', allOn]);
    const rules = one(docs, 'PrometheusRule').spec.groups[0].rules as {
      alert: string;
      annotations: Record<string, string>;
    }[];
    expect(rules.map((r) => r.alert)).toEqual(alertNames.filter((a) => a !== 'ScimOperatorTokenOld'));
    for (const rule of rules) {
      expect(rule.annotations.runbook_url).toBe(
        `https://git.example.com/platform/scim-operator/-/blob/main/docs/troubleshooting.md#${rule.alert.toLowerCase()}`,
      );
    }
    const defaults = one(await render(['--set', 'prometheusRule.enabled=true']), 'PrometheusRule');
    expect(defaults.spec.groups[0].rules.map((r: { alert: string }) => r.alert)).toEqual([...alertNames]);

    const [endpoint] = one(docs, 'ServiceMonitor').spec.endpoints;
    expect(endpoint.relabelings).toEqual([{ sourceLabels: ['__meta_kubernetes_pod_node_name'], targetLabel: 'node' }]);
    expect(endpoint.metricRelabelings).toEqual([
      { sourceLabels: ['__name__'], regex: 'workqueue_unfinished_work_seconds', action: 'drop' },
    ]);
  });

  it("puts the dashboard in Grafana's namespace and folder, with a data source variable every panel uses", async () => {
    const configMap = one(await render(['-f', allOn]), 'ConfigMap', 'r-scim-operator-dashboard');
    expect(configMap.metadata.namespace).toBe('monitoring');
    expect(configMap.metadata.annotations).toEqual({ grafana_folder: 'Identity', 'example.com/owner': 'platform' });
    const dashboard = JSON.parse(configMap.data?.['scim-operator.json'] ?? '{}');
    expect(dashboard.templating.list[0]).toMatchObject({ name: 'datasource', type: 'datasource', query: 'prometheus' });
    const uses = [dashboard.templating.list[1], ...dashboard.panels].map((p: { datasource: unknown }) => p.datasource);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JavaScript template
    for (const datasource of uses) expect(datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
  });
});

describe('the chart, with OpenShift values', () => {
  it('leaves the UID and GID unset with podSecurityContext.runAsUser=null and runAsGroup=null', async () => {
    const spec = podSpec(
      await render(['--set', 'podSecurityContext.runAsUser=null', '--set', 'podSecurityContext.runAsGroup=null']),
    );
    expect(spec.securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(spec.containers[0].securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
  });
});

describe('the chart, with bad new values', () => {
  it.each([
    ['prometheusRule.disabled.ScimOperatorTokenOldd=true', "additional properties 'ScimOperatorTokenOldd' not allowed"],
    ['image.digest=latest', "at '/image/digest'"],
    ['startupProbe.periodSeconds=0', "at '/startupProbe/periodSeconds'"],
    ['livenessProbe.httpGet.path=/x', "additional properties 'httpGet' not allowed"],
    ['grafanaDashboard.namespace=Monitoring_NS', "at '/grafanaDashboard/namespace'"],
    ['extraArgs=--x', "at '/extraArgs'"],
  ])('refuses --set %s with a readable error', async (set, message) => {
    await expect(render(['--set', set])).rejects.toThrow(message);
  });
});
