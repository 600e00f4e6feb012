import net from 'node:net';

/**
 * A loopback TCP proxy that can stall like a SIGSTOPped API server: `stall()` stops moving bytes on every open
 * connection and holds new ones (accepted, as a kernel backlog would, but never answered), without closing anything;
 * `resume()` carries on where it stopped. Use it between one operator and the shared control plane instead of
 * stopping the API server that other test files use.
 */
export interface StallingProxy {
  port: number;
  stalled(): boolean;
  stall(): void;
  resume(): void;
  close(): Promise<void>;
}

export async function startStallingProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<StallingProxy> {
  let stalled = false;
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  const held: net.Socket[] = [];
  const flow = (pair: { client: net.Socket; upstream: net.Socket }) => {
    pair.client.pipe(pair.upstream);
    pair.upstream.pipe(pair.client);
  };
  const connect = (client: net.Socket) => {
    const upstream = net.connect(targetPort, targetHost);
    const pair = { client, upstream };
    pairs.add(pair);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    flow(pair);
  };
  const server = net.createServer((client) => {
    if (stalled) {
      client.pause();
      client.on('error', () => client.destroy());
      held.push(client);
    } else connect(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('proxy has no port');
  return {
    port: address.port,
    stalled: () => stalled,
    stall() {
      stalled = true;
      for (const { client, upstream } of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    },
    resume() {
      stalled = false;
      for (const pair of pairs) flow(pair);
      for (const client of held.splice(0)) if (!client.destroyed) connect(client);
    },
    async close() {
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream.destroy();
      }
      for (const client of held.splice(0)) client.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
