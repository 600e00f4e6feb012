import http from 'node:http';
import https from 'node:https';
import { DownstreamError } from './errors.ts';

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface HttpRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

const MAX_BODY_BYTES = 8 * 1024 * 1024;

/**
 * HTTP(S) for one app, over node:http so that the app's CA bundle applies to its connections only (global fetch
 * has no per-request trust store without importing undici). Keep-alive connections; TLS certificates are always
 * verified. A deadline covers the whole exchange: `Timeout` after it, `Unreachable` for connection failures.
 */
export class HttpTransport {
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  private readonly httpsAgent: https.Agent;

  constructor(options: { caBundle?: string } = {}) {
    this.httpsAgent = new https.Agent({
      keepAlive: true,
      maxSockets: 64,
      ca: options.caBundle,
      rejectUnauthorized: true,
    });
  }

  send(request: HttpRequest): Promise<HttpResponse> {
    const secure = request.url.protocol === 'https:';
    const what = `${request.method} ${request.url.pathname}`;
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (err: DownstreamError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        request.signal?.removeEventListener('abort', onAbort);
        req.destroy();
        reject(err);
      };
      const onAbort = () => fail(new DownstreamError('Timeout', `${what}: reconcile deadline passed`));
      const req = (secure ? https : http).request(request.url, {
        method: request.method,
        headers: {
          ...request.headers,
          ...(request.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(request.body)) }),
        },
        agent: secure ? this.httpsAgent : this.httpAgent,
      });
      const timer = setTimeout(
        () => fail(new DownstreamError('Timeout', `${what}: no answer within ${request.timeoutMs} ms`)),
        request.timeoutMs,
      );
      if (request.signal?.aborted) onAbort();
      request.signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (err: NodeJS.ErrnoException) =>
        fail(new DownstreamError('Unreachable', `${what}: ${err.code ?? err.message}`, { cause: err })),
      );
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) fail(new DownstreamError('InvalidResponse', `${what}: response too large`));
          else chunks.push(chunk);
        });
        res.on('error', (err: NodeJS.ErrnoException) =>
          fail(new DownstreamError('Unreachable', `${what}: ${err.code ?? err.message}`, { cause: err })),
        );
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          request.signal?.removeEventListener('abort', onAbort);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
        });
      });
      req.end(request.body);
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
