import { readFile } from 'node:fs/promises';
import {
  ApiextensionsV1Api,
  CustomObjectsApi,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { nodeNetwork } from '../../src/control-plane/node/addresses.ts';
import { type LocalNode, startLocalNode } from '../../src/control-plane/node/local-node.ts';
import { provisioningScenario } from '../e2e/provisioning-scenario.ts';
import { createNamespace, createOurs, subjectCan, uniqueName } from '../support/cluster.ts';
import { type Scim2Server, startScim2Server } from '../support/scim2-server.ts';
import { chartDir, nodeClients, retryingScimClient } from './node-cluster.ts';

/**
 * The chart on a real kubelet: the image built from the Dockerfile runs as two Pods behind the chart's Service, with
 * their probes, read-only root filesystem and non-root user; helm test; the shared end-to-end scenario; losing the
 * leader Pod; a rolling upgrade; uninstall. The steps build on each other, in order.
 */
const namespace = 'scim-operator';
const release = 'r';
const fullname = `${release}-scim-operator`;
let node: LocalNode;
let clients: ReturnType<typeof nodeClients>;
let downstream: Scim2Server;
let scimUrl: string;
let token: string;

const readyOperatorPods = async () =>
  (
    await clients.core.listNamespacedPod({ namespace, labelSelector: 'app.kubernetes.io/name=scim-operator' })
  ).items.filter(
    (p) =>
      !p.metadata?.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  );

const leaseHolder = async () =>
  (await clients.leases.readNamespacedLease({ namespace, name: `${fullname}-leader` })).spec?.holderIdentity ?? '';

beforeAll(async () => {
  // No crdDir: the chart installs the CRDs (and keeps them on uninstall).
  node = await startLocalNode();
  clients = nodeClients(node);
  downstream = await startScim2Server(['downstream-token'], nodeNetwork.address);
}, 1_200_000);

afterAll(async () => {
  await downstream?.stop();
  await node?.stop();
}, 300_000);

describe('the chart installed on the local node with the image built from the Dockerfile', () => {
  it('brings both replicas to Ready through their real probes, as non-root with a read-only root filesystem', async () => {
    await clients.helm([
      'install',
      release,
      chartDir,
      '-n',
      namespace,
      '--create-namespace',
      '--set',
      `image.repository=${node.images.operator.repository}`,
      '--set-string',
      `image.tag=${node.images.operator.tag}`,
      '--set',
      'image.pullPolicy=Never',
      '--set',
      `tests.image.repository=${node.images.curl.repository}`,
      '--set-string',
      `tests.image.tag=${node.images.curl.tag}`,
      '--set',
      'tests.image.pullPolicy=Never',
      '--wait',
      '--timeout=5m',
    ]);
    const pods = await readyOperatorPods();
    expect(pods).toHaveLength(2);
    for (const pod of pods) {
      const container = pod.spec?.containers[0];
      expect(container?.readinessProbe?.httpGet).toBeDefined();
      expect(container?.livenessProbe?.httpGet).toBeDefined();
      expect(container?.securityContext?.readOnlyRootFilesystem).toBe(true);
      expect(pod.status?.containerStatuses?.[0]?.image).toContain(node.images.operator.tag);
      const id = pod.status?.containerStatuses?.[0]?.containerID?.replace('containerd://', '') ?? '';
      const info = JSON.parse(await node.ctr(['containers', 'info', id])) as {
        Spec: { process: { user: { uid: number } }; root: { readonly?: boolean } };
      };
      expect(info.Spec.process.user.uid).toBe(65532);
      expect(info.Spec.root.readonly).toBe(true);
    }
    const service = await clients.core.readNamespacedService({ namespace, name: fullname });
    scimUrl = `http://${service.spec?.clusterIP}:${service.spec?.ports?.[0]?.port}/scim/v2`;
    const secret = await clients.core.readNamespacedSecret({ namespace, name: `${fullname}-tokens` });
    token = Buffer.from(secret.data?.entra ?? '', 'base64').toString();
    expect(token.length).toBeGreaterThan(20);
  }, 600_000);

  it('passes helm test: a Pod reaches the Service by its DNS name with a token from the Secret', async () => {
    // Without --logs: Helm 3 deletes a succeeded test Pod (hook-succeeded) before it fetches logs (helm/helm#9098).
    const { stdout } = await clients.helm(['test', release, '-n', namespace, '--timeout=3m']);
    expect(stdout).toMatch(/Phase:\s+Succeeded/);
  }, 300_000);

  it('serves Pod logs through the API server, as kubectl logs reads them', async () => {
    const [pod] = await readyOperatorPods();
    expect(pod, 'a running operator Pod').toBeDefined();
    const log = await clients.core.readNamespacedPodLog({ namespace, name: pod?.metadata?.name ?? '' });
    expect(log).toContain('SCIM endpoint listening');
  }, 60_000);

  it('runs the shared provisioning scenario through the Service, downstream account included', async () => {
    await provisioningScenario({
      scimUrl,
      token,
      connection: 'entra',
      admin: clients.kc,
      downstream: {
        url: downstream.url,
        token: 'downstream-token',
        secretNamespace: namespace,
        secretName: 'downstream-credentials',
        async account(userName) {
          const res = await downstream.request(
            'GET',
            `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`,
          );
          return res.body?.Resources?.[0];
        },
      },
    });
  }, 300_000);

  it('loses the leader Pod: the Deployment replaces it, the other replica serves and takes the Lease, no binding is lost', async () => {
    const client = retryingScimClient(scimUrl, token);
    const ns = await createNamespace(clients.kc, uniqueName('failover'));
    const userName = `${uniqueName('failover-user')}@example.com`;
    const user = await client.request('POST', '/Users', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName,
      active: true,
    });
    const displayName = uniqueName('failover-team');
    await client.request('POST', '/Groups', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName,
      members: [{ value: user.body.id }],
    });
    await createOurs(clients.kc, 'AccessMapping', uniqueName('failover'), {
      connection: 'entra',
      subjects: { groups: [{ displayName }] },
      roleBindings: [{ clusterRole: 'edit', namespaces: [ns] }],
    });
    const allowed = { namespace: ns, verb: 'create', group: 'apps', resource: 'deployments' };
    await vi.waitFor(async () => expect(await subjectCan(clients.kc, { user: userName }, allowed)).toBe(true), {
      timeout: 30_000,
      interval: 250,
    });
    const rbac = clients.kc.makeApiClient(RbacAuthorizationV1Api);
    const bindingsBefore = (await rbac.listNamespacedRoleBinding({ namespace: ns })).items.map((b) => b.metadata?.name);

    const leader = (await leaseHolder()).split('_')[0] ?? '';
    const survivor = (await readyOperatorPods()).map((p) => p.metadata?.name).find((n) => n !== leader);
    expect(survivor).toBeDefined();
    // The node is cordoned first, so that the replacement waits while the survivor takes over (as when the leader's
    // node is drained): the survivor is then the only candidate, and the Lease cannot go to the replacement by luck.
    const cordon = (unschedulable: boolean) =>
      clients.core.patchNode(
        { name: nodeNetwork.nodeName, body: { spec: { unschedulable } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    await cordon(true);
    let served = 0;
    try {
      await clients.core.deleteNamespacedPod({ namespace, name: leader });
      await vi.waitFor(
        async () => {
          const res = await client.request('GET', `/Users/${user.body.id}`);
          if (res.status === 200) served++;
          expect((await leaseHolder()).startsWith(`${survivor}_`)).toBe(true);
        },
        { timeout: 120_000, interval: 200 },
      );
      const pending = (
        await clients.core.listNamespacedPod({ namespace, labelSelector: 'app.kubernetes.io/name=scim-operator' })
      ).items.filter((p) => p.status?.phase === 'Pending');
      expect(pending).toHaveLength(1);
    } finally {
      await cordon(false);
    }
    await vi.waitFor(
      async () => {
        const pods = await readyOperatorPods();
        expect(pods).toHaveLength(2);
        expect(pods.map((p) => p.metadata?.name)).not.toContain(leader);
      },
      { timeout: 180_000, interval: 500 },
    );
    expect(served).toBeGreaterThan(0);
    expect(client.failures).toEqual([]);
    expect((await rbac.listNamespacedRoleBinding({ namespace: ns })).items.map((b) => b.metadata?.name)).toEqual(
      bindingsBefore,
    );
    expect(await subjectCan(clients.kc, { user: userName }, allowed)).toBe(true);
  }, 400_000);

  it('rolls to a new image tag with helm upgrade without a failed request from a client that retries 503', async () => {
    const { repository, tag } = node.images.operator;
    const newTag = `${tag}-upgrade`;
    await node.ctr(['images', 'tag', `${repository}:${tag}`, `${repository}:${newTag}`]);
    const client = retryingScimClient(scimUrl, token);
    let stop = false;
    let written = 0;
    const load = (async () => {
      while (!stop) {
        const res = await client.request('POST', '/Users', {
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
          userName: `${uniqueName('rolling')}@example.com`,
          active: true,
        });
        if (res.status === 201) written++;
        await client.request('GET', '/Users?count=1');
      }
    })();
    try {
      await clients.helm([
        'upgrade',
        release,
        chartDir,
        '-n',
        namespace,
        '--reuse-values',
        '--set-string',
        `image.tag=${newTag}`,
        '--wait',
        '--timeout=5m',
      ]);
      await vi.waitFor(
        async () => {
          // The roll is over when the old Pods are gone, not only when the new ones are Ready: the old ones still
          // serve their open connections while they terminate.
          const all = (
            await clients.core.listNamespacedPod({ namespace, labelSelector: 'app.kubernetes.io/name=scim-operator' })
          ).items;
          expect(all).toHaveLength(2);
          expect(await readyOperatorPods()).toHaveLength(2);
          for (const pod of all) expect(pod.spec?.containers[0]?.image).toContain(newTag);
        },
        { timeout: 180_000, interval: 500 },
      );
    } finally {
      stop = true;
      await load;
    }
    expect(written).toBeGreaterThan(0);
    expect(client.failures).toEqual([]);
  }, 600_000);

  // 1,000 in every run; SCIM_OPERATOR_NODE_USERS=10000 measures more (about 8 minutes more on 2 cores).
  const users = Number(process.env.SCIM_OPERATOR_NODE_USERS ?? 1_000);
  it(`holds ${users.toLocaleString('en')} users within the chart's default memory limit, without an OOM kill`, async () => {
    const client = retryingScimClient(scimUrl, token);
    let next = 0;
    const worker = async () => {
      while (next < users) {
        const i = next++;
        await client.request('POST', '/Users', {
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
          userName: `load-${i}-${uniqueName('u')}@example.com`,
          name: { givenName: `Given${i}`, familyName: `Family${i}` },
          emails: [{ type: 'work', primary: true, value: `load-${i}@example.com` }],
          active: true,
        });
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    const restarts = (
      await clients.core.listNamespacedPod({ namespace, labelSelector: 'app.kubernetes.io/name=scim-operator' })
    ).items.map((p) => ({
      pod: p.metadata?.name,
      restarts: p.status?.containerStatuses?.[0]?.restartCount,
      last: p.status?.containerStatuses?.[0]?.lastState?.terminated?.reason,
    }));
    process.stderr.write(
      `[memory, ${users} users] ${client.failures.length} failed requests; pods ${JSON.stringify(restarts)}\n`,
    );
    expect(client.failures.slice(0, 5)).toEqual([]);
    const listed = await client.request('GET', '/Users?count=1');
    expect(Number(listed.body.totalResults)).toBeGreaterThanOrEqual(users);
    // A full listing touches every cached user on the replica that serves it.
    await client.request('GET', `/Users?count=${users}`);
    const limit = (await clients.apps.readNamespacedDeployment({ namespace, name: fullname })).spec?.template.spec
      ?.containers[0]?.resources?.limits?.memory;
    for (const pod of await readyOperatorPods()) {
      const status = pod.status?.containerStatuses?.[0];
      expect(status?.restartCount).toBe(0);
      expect(status?.lastState?.terminated?.reason).toBeUndefined();
      const cgroup = `/sys/fs/cgroup/memory${node.cgroupRoot}/kubepods/burstable/pod${pod.metadata?.uid}`;
      const mib = async (file: string) => Math.round(Number(await readFile(`${cgroup}/${file}`, 'utf8')) / 2 ** 20);
      const figures = {
        pod: pod.metadata?.name,
        limit,
        usageMiB: await mib('memory.usage_in_bytes'),
        peakMiB: await mib('memory.max_usage_in_bytes'),
        oomKills: /oom_kill (\d+)/.exec(await readFile(`${cgroup}/memory.oom_control`, 'utf8'))?.[1] ?? 'n/a',
      };
      process.stderr.write(`[memory, ${users} users] ${JSON.stringify(figures)}\n`);
      expect(figures.peakMiB).toBeLessThan(512);
      expect(figures.oomKills === 'n/a' || figures.oomKills === '0').toBe(true);
    }
  }, 1_200_000);

  it('uninstalls and keeps the CRDs and the identities', async () => {
    await clients.helm(['uninstall', release, '-n', namespace, '--wait', '--timeout=3m']);
    const crds = await clients.kc.makeApiClient(ApiextensionsV1Api).listCustomResourceDefinition();
    expect(crds.items.map((c) => c.metadata?.name)).toContain('scimusers.scim-operator.dev');
    const kept = (await clients.kc
      .makeApiClient(CustomObjectsApi)
      .listClusterCustomObject({ group: 'scim-operator.dev', version: 'v1alpha1', plural: 'scimusers' })) as {
      items: unknown[];
    };
    // Every user created over SCIM above: the scenario's, the failover's, the roll's and the load's.
    expect(kept.items.length).toBeGreaterThanOrEqual(users);
  }, 300_000);
});
