import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fencedKubeConfig, NotLeaderError } from './write-fence.ts';

describe('fencedKubeConfig', () => {
  const requests: string[] = [];
  let server: http.Server;
  let kc: KubeConfig;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a' } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [
        { name: 'c', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true },
      ],
      users: [{ name: 'u', token: 'secret' }],
      contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
      currentContext: 'ctx',
    });
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('refuses to send a write while the replica may not write, and sends reads', async () => {
    let leader = false;
    const api = fencedKubeConfig(kc, () => leader).makeApiClient(CoreV1Api);
    requests.length = 0;
    await expect(api.readNamespace({ name: 'a' })).resolves.toMatchObject({ metadata: { name: 'a' } });
    await expect(api.createNamespace({ body: { metadata: { name: 'a' } } })).rejects.toBeInstanceOf(NotLeaderError);
    await expect(api.deleteNamespace({ name: 'a' })).rejects.toThrow('DELETE /api/v1/namespaces/a refused');
    expect(requests).toEqual(['GET /api/v1/namespaces/a']);
    leader = true;
    await api.createNamespace({ body: { metadata: { name: 'a' } } });
    expect(requests).toEqual(['GET /api/v1/namespaces/a', 'POST /api/v1/namespaces']);
  });

  it('authenticates as the KubeConfig it wraps', async () => {
    let auth: string | undefined;
    server.once('request', (req) => {
      auth = req.headers.authorization;
    });
    await fencedKubeConfig(kc, () => true)
      .makeApiClient(CoreV1Api)
      .readNamespace({ name: 'a' });
    expect(auth).toBe('Bearer secret');
  });
});
