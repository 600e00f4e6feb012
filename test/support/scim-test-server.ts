import { request } from 'node:http';
/**
 * A SCIM endpoint on an ephemeral port for tests that speak HTTP, over the in-memory store unless one is given,
 * with two connections: token `token-a` is connection `a`, `token-b` is `b`.
 */

import type { AddressInfo } from 'node:net';
import { createScimApp, type ScimAppOptions } from '../../src/http/app.ts';
import { tokenAuthenticator } from '../../src/http/bearer-auth.ts';
import { createScimService } from '../../src/scim/operations.ts';
import { limits } from '../../src/scim/schemas.ts';
import type { ScimStore } from '../../src/scim/store.ts';
import { createMemoryStore } from '../../src/store/memory-store.ts';

export const BASE_URL = 'https://scim.example.test/scim/v2';

export interface ScimReply {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: replies are arbitrary JSON that tests read freely
  body: any;
}

export interface TestServer {
  url: string;
  store: ScimStore;
  /** Calls `path` under `/scim/v2` with `token-a` unless `token` says otherwise (`null`: no Authorization). */
  call(
    method: string,
    path: string,
    options?: { body?: unknown; token?: string | null; headers?: Record<string, string> },
  ): Promise<ScimReply>;
  close(): Promise<void>;
}

export async function startTestServer(
  overrides: Partial<Omit<ScimAppOptions, 'service'>> & { store?: ScimStore } = {},
): Promise<TestServer> {
  const store = overrides.store ?? createMemoryStore();
  const app = createScimApp({
    service: createScimService({ store, baseUrl: BASE_URL }),
    authenticate: tokenAuthenticator([
      { token: 'token-a', connection: 'a' },
      { token: 'token-b', connection: 'b' },
    ]),
    limits: { maxBodyBytes: limits.maxBodyBytes },
    ...overrides,
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    store,
    async call(method, path, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      const token = options.token === undefined ? 'token-a' : options.token;
      if (token !== null) headers.authorization ??= `Bearer ${token}`;
      let body: string | undefined;
      if (options.body !== undefined) {
        body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
        headers['content-type'] ??= 'application/scim+json';
      }
      const response = await fetch(`${url}/scim/v2${path}`, { method, headers, body });
      const text = await response.text();
      return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
    },
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}

/**
 * Sends `path` under `/scim/v2` of `serverUrl` exactly as written (no URL normalisation, unlike fetch), with
 * `token-a`: how a hostile client reaches paths such as `/Users/%2E%2E`.
 */
export function rawScimRequest(
  serverUrl: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<Pick<ScimReply, 'status' | 'body'>> {
  const { hostname, port } = new URL(serverUrl);
  return new Promise((resolve, reject) => {
    const req = request({
      host: hostname,
      port,
      method,
      path: `/scim/v2${path}`,
      headers: { authorization: 'Bearer token-a', 'content-type': 'application/scim+json' },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
    });
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}
