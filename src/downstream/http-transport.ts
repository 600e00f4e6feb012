import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { DestinationFence } from './destination-fence.ts';
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
 * With a fence, every request's destination is checked first and the connection goes to the checked addresses
 * only; a refused destination is `DestinationRefused` and no connection is opened.
 */
export class HttpTransport {
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  private readonly httpsAgent: https.Agent;
  private readonly fence: DestinationFence | undefined;
  private readonly insecureHttp: boolean;

  constructor(options: { caBundle?: string; fence?: DestinationFence; insecureHttp?: boolean } = {}) {
    this.fence = options.fence;
    this.insecureHttp = options.insecureHttp ?? false;
    this.httpsAgent = new https.Agent({
      keepAlive: true,
      maxSockets: 64,
      ca: options.caBundle,
      rejectUnauthorized: true,
    });
  }

  async send(request: HttpRequest): Promise<HttpResponse> {
    const addresses = await this.fence?.check(request.url, this.insecureHttp);
    return this.exchange(request, addresses && pinnedLookup(addresses));
  }

  private exchange(request: HttpRequest, lookup: LookupFunction | undefined): Promise<HttpResponse> {
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
        ...(lookup ? { lookup } : {}),
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

/** A lookup that answers with addresses already checked, so the connection cannot go anywhere else. */
function pinnedLookup(addresses: string[]): LookupFunction {
  const entries = addresses.map((address) => ({ address, family: isIP(address) }));
  return (_hostname, options, callback) => {
    if (options.all) (callback as (err: null, all: typeof entries) => void)(null, entries);
    else callback(null, entries[0]!.address, entries[0]!.family);
  };
}
