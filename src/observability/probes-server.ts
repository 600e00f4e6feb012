import http from 'node:http';
import type { Metrics } from './metrics.ts';

export interface ReadinessCheck {
  name: string;
  ready(): boolean;
  /** Why it is not ready, one line, for the /readyz body. */
  reason?(): string | undefined;
}

/**
 * /metrics, /healthz and /readyz on their own port, so that probes and scrapes never queue behind SCIM traffic and
 * the SCIM port exposes nothing but SCIM. /readyz answers 503 until every check passes (the token Secret read and
 * holding a usable token, every informer cache listed), with one line per failing check saying why.
 */
export function createProbesServer(metrics: Metrics, checks: () => ReadinessCheck[]): http.Server {
  return http.createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      res.writeHead(200, { 'content-type': metrics.registry.contentType });
      res.end(await metrics.registry.metrics());
      return;
    }
    if (path === '/healthz' || path === '/livez') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
      return;
    }
    if (path === '/readyz') {
      const failing = checks()
        .filter((c) => !c.ready())
        .map((c) => {
          const reason = c.reason?.();
          return reason ? `${c.name}: ${reason}` : c.name;
        });
      res.writeHead(failing.length ? 503 : 200, { 'content-type': 'text/plain' });
      res.end(failing.length ? `not ready:\n${failing.map((line) => `  ${line}\n`).join('')}` : 'ok');
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  });
}
