import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { makeApiClient } from './api-client.ts';

/** A loopback API server that answers every request with an empty list and counts connections and requests. */
async function countingServer() {
  const seen = { connections: 0, requests: 0, userAgents: new Set<string>() };
  const server: Server = createServer((req, res) => {
    seen.requests++;
    seen.userAgents.add(req.headers['user-agent'] ?? '');
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ apiVersion: 'v1', kind: 'List', metadata: {}, items: [] }));
  });
  server.on('connection', () => seen.connections++);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      { name: 'c', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true },
    ],
    users: [{ name: 'u', token: 'secret' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return { kc, seen, close: () => new Promise((r) => server.close(r)) };
}

let close: (() => Promise<unknown>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

describe('makeApiClient', () => {
  it('sends the requests of every client made from one kubeconfig over kept-alive connections, not one each', async () => {
    const api = await countingServer();
    close = api.close;
    const core = makeApiClient(api.kc, CoreV1Api);
    const rbac = makeApiClient(api.kc, RbacAuthorizationV1Api);
    for (let i = 0; i < 10; i++) {
      await core.listNamespace();
      await rbac.listClusterRoleBinding();
    }
    expect(api.seen.requests).toBe(20);
    // client-node sends the very first request before the pool is taken from it; every later one reuses the pool.
    expect(api.seen.connections).toBeLessThanOrEqual(2);
    expect([...api.seen.userAgents]).toEqual(['scim-operator']);
  });

  it('keeps a named pool apart, so that leader election never queues behind other clients', async () => {
    const api = await countingServer();
    close = api.close;
    const shared = makeApiClient(api.kc, CoreV1Api);
    for (let i = 0; i < 5; i++) await shared.listNamespace();
    const before = api.seen.connections;
    await makeApiClient(api.kc, CoreV1Api, { pool: 'leader-election' }).listNamespace();
    expect(api.seen.connections).toBe(before + 1);
    await shared.listNamespace();
    expect(api.seen.connections).toBe(before + 1);
  });
});
