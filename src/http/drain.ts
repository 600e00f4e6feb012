import type http from 'node:http';

/**
 * Lets clients close their keep-alive connections before the server does: from now on every response carries
 * `Connection: close`, and idle connections end by the client's or the server's keep-alive timeout. Resolves when no
 * connection is left or after `maxMs`. Without it, `server.close()` shuts idle connections at once, and a client that
 * sends on one at that moment sees a reset instead of an answer (seen while a rolling update replaced the Pods).
 */
export async function drainKeepAlive(server: http.Server, maxMs: number): Promise<void> {
  server.prependListener('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
    res.setHeader('connection', 'close');
  });
  const deadline = Date.now() + maxMs;
  const open = () => new Promise<number>((resolve) => server.getConnections((_err, count) => resolve(count)));
  while (Date.now() < deadline && (await open()) > 0) await new Promise((r) => setTimeout(r, 50));
}
