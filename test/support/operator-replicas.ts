/**
 * Two replicas of the complete operator (SCIM endpoint, store, and controllers under leader election) over the run's
 * control plane, as `npm run dev` and a two-replica Deployment run it: the controllers write status, finalizers and
 * Events while the IdP's requests are spread over both replicas. Each replica offers the `TestServer` call shape
 * (`token-a` and `token-b` name two connections of this installation), so IdP flow suites can use either.
 */

import { randomBytes } from 'node:crypto';
import { CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { expect, vi } from 'vitest';
import { uniqueName } from './cluster.ts';
import type { Connections } from './kubernetes-scim-server.ts';
import { startTestOperator, type TestOperator } from './operator.ts';
import type { ScimReply, TestServer } from './scim-test-server.ts';

export interface OperatorReplica extends Omit<TestServer, 'store' | 'close'> {
  operator: TestOperator['operator'];
}

export interface OperatorReplicas {
  replicas: [OperatorReplica, OperatorReplica];
  connections: Connections;
  /** The bearer tokens the test names `token-a` and `token-b`. */
  tokens: Record<'token-a' | 'token-b', string>;
  /** The operator's namespace: its token Secret and leader-election Lease live there. */
  namespace: string;
  /** Status writes the leader's controllers made to `scimusers/<id>` or `scimgroups/<id>`. */
  statusWrites(): string[];
  stop(): Promise<void>;
}

/**
 * One replica of the complete operator in the shape of `KubernetesTestServer` (without its `store`), for IdP flow
 * suites that should run with the controllers on.
 */
export type OperatorServer = OperatorReplica & { connections: Connections; stop(): Promise<void> };

export async function startOperatorServer(): Promise<OperatorServer> {
  const started = await startOperators(1);
  return { ...started.replicas[0]!, connections: started.connections, stop: started.stop };
}

export async function startOperatorReplicas(): Promise<OperatorReplicas> {
  const started = await startOperators(2);
  return { ...started, replicas: [started.replicas[0]!, started.replicas[1]!] };
}

async function startOperators(
  count: number,
): Promise<Omit<OperatorReplicas, 'replicas'> & { replicas: OperatorReplica[] }> {
  const connections = { a: uniqueName('conn'), b: uniqueName('conn-b') };
  // The installation serves both connections (settings `connections`), as one with two IdPs would.
  const settingsYaml = `connections: [${connections.a}, ${connections.b}]`;
  const first = await startTestOperator({ identity: 'replica-0', connection: connections.a, settingsYaml });
  // Same namespace, connection and Kubernetes user: further replicas share the first one's token Secret and Lease.
  const others: TestOperator[] = [];
  for (let i = 1; i < count; i++) {
    others.push(
      await startTestOperator({
        identity: `replica-${i}`,
        namespace: first.namespace,
        connection: first.connection,
        settingsYaml,
      }),
    );
  }
  const all = [first, ...others];
  const tokens: Record<'token-a' | 'token-b', string> = {
    'token-a': first.token,
    'token-b': randomBytes(24).toString('base64url'),
  };
  await first.admin.makeApiClient(CoreV1Api).patchNamespacedSecret(
    {
      name: 'scim-tokens',
      namespace: first.namespace,
      body: { stringData: { [connections.b]: tokens['token-b'] } },
    },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );

  const replica = (op: TestOperator): OperatorReplica => ({
    url: op.operator.scimUrl.replace(/\/scim\/v2$/, ''),
    operator: op.operator,
    async call(method, path, options = {}): Promise<ScimReply> {
      const headers: Record<string, string> = { ...options.headers };
      const token = options.token === undefined ? 'token-a' : options.token;
      if (token !== null) headers.authorization ??= `Bearer ${tokens[token as keyof typeof tokens] ?? token}`;
      let body: string | undefined;
      if (options.body !== undefined) {
        body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
        headers['content-type'] ??= 'application/scim+json';
      }
      const response = await fetch(`${op.operator.scimUrl}${path}`, { method, headers, body });
      const text = await response.text();
      return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
    },
  });
  const replicas = all.map(replica);

  // The Secret is watched: both replicas accept the new token within seconds. One replica must lead.
  for (const r of replicas) {
    await vi.waitFor(
      async () =>
        expect((await r.call('GET', '/Users?count=0', { token: 'token-b' })).status, 'token-b accepted').toBe(200),
      { timeout: 30_000 },
    );
  }
  await vi.waitFor(
    async () =>
      expect(
        all.some((op) => op.operator.isLeader()),
        'a leader',
      ).toBe(true),
    { timeout: 30_000 },
  );

  return {
    replicas,
    connections,
    tokens,
    namespace: first.namespace,
    statusWrites: () =>
      all.flatMap((op) => op.operator.controllers.writes.filter((w) => w.verb === 'status').map((w) => w.target)),
    async stop() {
      await Promise.all(all.map((op) => op.stop()));
    },
  };
}
