import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RbacAuthorizationV1Api, Watch } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/control-plane/control-plane.ts';
import { controlPlane, createNamespace, createOurs, eventually, subjectCan, uniqueName } from '../support/cluster.ts';
import { prepareOperatorIdentity } from '../support/operator.ts';

const cli = path.resolve(import.meta.dirname, '../../src/cli.ts');

interface Replica {
  child: ChildProcess;
  scimUrl: string;
  metricsUrl: string;
}

async function isLeader(replica: Replica): Promise<boolean> {
  const text = await (await fetch(replica.metricsUrl)).text();
  return /^leader_election_master_status\{name="scim-operator-leader"\} 1$/m.test(text);
}

describe('two operator processes', () => {
  const replicas: Replica[] = [];
  afterAll(() => {
    for (const r of replicas) r.child.kill('SIGKILL');
  });

  it('run the controllers on one leader; when it is killed the other takes over within 20 s without recreating any binding', async () => {
    const id = await prepareOperatorIdentity();
    const configFile = path.join(controlPlane().pkiDir, `${id.namespace}-config.yaml`);
    await writeFile(configFile, `leaderElection: { namespace: ${id.namespace} }\n`);
    const start = async (): Promise<Replica> => {
      const [scimPort, metricsPort] = [await freePort(), await freePort()];
      const child = spawn(
        process.execPath,
        [
          cli,
          'run',
          `--kubeconfig=${id.kubeconfig}`,
          `--scim-address=127.0.0.1:${scimPort}`,
          `--metrics-address=127.0.0.1:${metricsPort}`,
          `--token-secret=${id.namespace}/scim-tokens`,
          `--config=${configFile}`,
          '--log-level=warn',
        ],
        { stdio: ['ignore', 'ignore', 'inherit'] },
      );
      const replica = {
        child,
        scimUrl: `http://127.0.0.1:${scimPort}/scim/v2`,
        metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
      };
      replicas.push(replica);
      await eventually(
        async () => (await fetch(replica.metricsUrl.replace('/metrics', '/readyz'))).ok,
        30_000,
        'replica ready',
      );
      return replica;
    };
    const scim = async (replica: Replica, method: string, p: string, body?: unknown) => {
      const res = await fetch(`${replica.scimUrl}${p}`, {
        method,
        headers: { authorization: `Bearer ${id.token}`, 'content-type': 'application/scim+json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      // biome-ignore lint/suspicious/noExplicitAny: SCIM replies are read freely in tests
      return { status: res.status, body: (res.status === 204 ? undefined : await res.json()) as any };
    };

    const first = await start();
    await eventually(() => isLeader(first), 20_000, 'first replica leads');
    const second = await start();
    expect(await isLeader(second)).toBe(false);

    const ns = await createNamespace(id.admin);
    const ada = `${uniqueName('ada')}@example.com`;
    const adaId = (await scim(first, 'POST', '/Users', { userName: ada, active: true })).body.id;
    const teamName = uniqueName('team');
    const groupId = (await scim(first, 'POST', '/Groups', { displayName: teamName, members: [{ value: adaId }] })).body
      .id;
    const mappingName = uniqueName('failover');
    await createOurs(id.admin, 'AccessMapping', mappingName, {
      connection: id.connection,
      subjects: { groups: [{ displayName: teamName }] },
      roleBindings: [{ clusterRole: 'edit', namespaces: [ns] }],
    });
    const attrs = { namespace: ns, verb: 'create', group: 'apps', resource: 'deployments' };
    await eventually(() => subjectCan(id.admin, { user: ada }, attrs), 10_000, 'ada allowed');
    const bindingName = `scim:${mappingName}:clusterrole:edit`;
    const rbac = id.admin.makeApiClient(RbacAuthorizationV1Api);
    const uidBefore = (await rbac.readNamespacedRoleBinding({ name: bindingName, namespace: ns })).metadata?.uid;

    const deletions: string[] = [];
    const watch = await new Watch(id.admin).watch(
      `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`,
      {},
      (type, obj: { metadata: { name: string } }) => {
        if (type === 'DELETED') deletions.push(obj.metadata.name);
      },
      () => {},
    );

    first.child.kill('SIGKILL');
    const killedAt = Date.now();
    await eventually(() => isLeader(second), 20_000, 'second replica takes over');
    const takeover = (Date.now() - killedAt) / 1000;
    process.stderr.write(`[failover] the standby led ${takeover.toFixed(1)} s after the leader was killed\n`);
    expect(takeover).toBeLessThan(20);

    // The new leader reconciles: a second member added through it gets access.
    const bob = `${uniqueName('bob')}@example.com`;
    const bobId = (await scim(second, 'POST', '/Users', { userName: bob, active: true })).body.id;
    const added = await scim(second, 'PATCH', `/Groups/${groupId}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'add', path: 'members', value: [{ value: bobId }] }],
    });
    expect(added.status).toBe(204);
    await eventually(() => subjectCan(id.admin, { user: bob }, attrs), 10_000, 'bob allowed via the new leader');
    expect(await subjectCan(id.admin, { user: ada }, attrs)).toBe(true);

    watch.abort();
    expect(deletions).toEqual([]);
    expect((await rbac.readNamespacedRoleBinding({ name: bindingName, namespace: ns })).metadata?.uid).toBe(uidBefore);
  }, 120_000);
});
