import net from 'node:net';

/**
 * A loopback TCP proxy whose upstream can be cut: `cut()` drops every open connection and refuses new ones until
 * `restore()`. Clients pointed at it see the API server (or a downstream app) become unreachable, as in an outage.
 * `reset()` drops the open connections but keeps accepting (a flapping network path), and `latencyMs` delays every
 * chunk in both directions, in order.
 */
export interface TcpProxy {
  port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Added to every chunk forwarded either way; 0 forwards at once. */
  latencyMs: number;
  cut(): void;
  restore(): void;
  /** Drops the open connections; new ones are accepted. Returns how many were dropped. */
  reset(): number;
  close(): Promise<void>;
}

/** Forwards chunks from `from` to `to`, each held until `latency()` ms after it arrived, never reordered. */
function forward(from: net.Socket, to: net.Socket, latency: () => number): void {
  const queue: { due: number; chunk: Buffer }[] = [];
  let pumping = false;
  const pump = () => {
    const head = queue[0];
    if (!head) {
      pumping = false;
      return;
    }
    const wait = head.due - Date.now();
    if (wait > 0) {
      setTimeout(pump, wait);
      return;
    }
    queue.shift();
    if (!to.destroyed) to.write(head.chunk);
    pump();
  };
  from.on('data', (chunk: Buffer) => {
    const ms = latency();
    if (ms <= 0 && !pumping) {
      to.write(chunk);
      return;
    }
    queue.push({ due: Date.now() + ms, chunk });
    if (!pumping) {
      pumping = true;
      pump();
    }
  });
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  let down = false;
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const proxy = {
    latencyMs: 0,
  };
  const server = net.createServer((client) => {
    connections++;
    if (down) {
      client.destroy();
      return;
    }
    const upstream = net.connect(targetPort, targetHost);
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    forward(client, upstream, () => proxy.latencyMs);
    forward(upstream, client, () => proxy.latencyMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('proxy has no port');
  const reset = () => {
    const dropped = sockets.size / 2;
    for (const s of sockets) s.destroy();
    sockets.clear();
    return dropped;
  };
  return {
    port: address.port,
    get connections() {
      return connections;
    },
    get latencyMs() {
      return proxy.latencyMs;
    },
    set latencyMs(ms: number) {
      proxy.latencyMs = ms;
    },
    cut() {
      down = true;
      reset();
    },
    restore() {
      down = false;
    },
    reset,
    async close() {
      down = true;
      reset();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
