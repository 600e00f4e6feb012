import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { drainKeepAlive } from './drain.ts';

let server: http.Server | undefined;
afterEach(() => server?.close());

describe('draining keep-alive connections before shutdown', () => {
  it('answers with Connection: close once draining, and returns when the client has closed its connection', async () => {
    server = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const agent = new http.Agent({ keepAlive: true });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const get = () =>
      new Promise<http.IncomingMessage>((resolve) => http.get(url, { agent }, (res) => resolve(res.resume())));
    expect((await get()).headers.connection).toBe('keep-alive');

    const drained = drainKeepAlive(server, 10_000);
    const during = await get();
    expect(during.headers.connection).toBe('close');
    await drained;
    const open = await new Promise<number>((resolve) => server!.getConnections((_e, n) => resolve(n)));
    expect(open).toBe(0);
    agent.destroy();
  });
});
