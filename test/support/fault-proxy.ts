import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the proxy does with one request: forward it, answer in its place, hang, or reset the connection. */
export type Fault =
  | { kind: 'pass' }
  | { kind: 'status'; status: number; retryAfter?: string }
  | { kind: 'hang' }
  | { kind: 'reset' }
  /** Forward it (the upstream acts on it), then reset instead of answering: the client never learns the outcome. */
  | { kind: 'forward-then-reset' }
  /** Forward it, then never answer: as if the client crashed before reading the outcome. */
  | { kind: 'forward-then-hang' };

export interface ProxiedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  body: string;
  at: number;
  fault: Fault['kind'];
}

/**
 * An HTTP proxy in front of a downstream app that injects faults chosen per request by `decide`, and records every
 * request it receives (method, path, Authorization header, body, time), so tests can count and inspect them.
 */
export interface FaultProxy {
  url: string;
  requests: ProxiedRequest[];
  decide: (req: { method: string; path: string }) => Fault;
  close(): Promise<void>;
}

export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  const hung = new Set<http.ServerResponse>();
  const proxy: FaultProxy = {
    url: '',
    requests: [],
    decide: () => ({ kind: 'pass' }),
    async close() {
      for (const res of hung) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const path = req.url ?? '/';
    const fault = proxy.decide({ method: req.method ?? 'GET', path });
    proxy.requests.push({
      method: req.method ?? 'GET',
      path,
      authorization: req.headers.authorization,
      body,
      at: Date.now(),
      fault: fault.kind,
    });
    if (fault.kind === 'status') {
      res.writeHead(fault.status, {
        'content-type': 'application/scim+json',
        ...(fault.retryAfter ? { 'retry-after': fault.retryAfter } : {}),
      });
      res.end(
        JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: String(fault.status) }),
      );
      return;
    }
    if (fault.kind === 'hang') {
      hung.add(res);
      return;
    }
    if (fault.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    const headers = { ...req.headers, host: target.host };
    const upstreamReq = http.request(new URL(path, target), { method: req.method, headers }, (upstreamRes) => {
      const parts: Buffer[] = [];
      upstreamRes.on('data', (c: Buffer) => parts.push(c));
      upstreamRes.on('end', () => {
        if (fault.kind === 'forward-then-reset') {
          req.socket.destroy();
          return;
        }
        if (fault.kind === 'forward-then-hang') {
          hung.add(res);
          return;
        }
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        res.end(Buffer.concat(parts));
      });
    });
    upstreamReq.on('error', () => req.socket.destroy());
    upstreamReq.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
