import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { watchApiServer } from './api-server-health.ts';

describe('watchApiServer', () => {
  const state = { hang: false, status: 200, probes: 0 };
  const held: http.ServerResponse[] = [];
  let server: http.Server;
  let kc: KubeConfig;
  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      state.probes++;
      if (state.hang) held.push(res);
      else res.writeHead(state.status).end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [
        { name: 'c', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true },
      ],
      users: [{ name: 'u' }],
      contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
      currentContext: 'ctx',
    });
  });
  afterAll(async () => {
    for (const res of held) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('turns unreachable after two probes that hang, and reachable at the first that answers', async () => {
    const changes: Array<[boolean, string | undefined]> = [];
    const health = watchApiServer(kc, {
      intervalMs: 20,
      timeoutMs: 100,
      onChange: (reachable, problem) => changes.push([reachable, problem]),
    });
    health.start();
    await vi.waitFor(() => expect(state.probes).toBeGreaterThan(1));
    expect(health.reachable()).toBe(true);
    state.hang = true;
    await vi.waitFor(() => expect(health.reachable()).toBe(false));
    expect(health.problem()).toBe('GET /readyz did not answer within 100 ms');
    state.hang = false;
    await vi.waitFor(() => expect(health.reachable()).toBe(true));
    health.stop();
    expect(changes).toEqual([
      [false, 'GET /readyz did not answer within 100 ms'],
      [true, undefined],
    ]);
  });

  it('counts any answer, a 500 from /readyz included, as reachable: only silence trips it', async () => {
    state.status = 500;
    const health = watchApiServer(kc, { intervalMs: 20, timeoutMs: 100 });
    health.start();
    const before = state.probes;
    await vi.waitFor(() => expect(state.probes).toBeGreaterThan(before + 3));
    expect(health.reachable()).toBe(true);
    health.stop();
    state.status = 200;
  });
});
