/**
 * The SCIM endpoint as src/main.ts composes it (store, service, express app), without controllers, so that a
 * benchmark holds the store and can read its request counter.
 */

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeConfig } from '@kubernetes/client-node';
import { createScimApp } from '../../src/http/app.ts';
import { tokenAuthenticator } from '../../src/http/bearer-auth.ts';
import { createScimService } from '../../src/scim/operations.ts';
import { limits } from '../../src/scim/schemas.ts';
import { KubernetesScimStore } from '../../src/store/kubernetes-store.ts';

export interface ScimReply {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: SCIM replies are arbitrary JSON
  body: any;
}

export type ScimCall = (method: string, pathName: string, body?: unknown) => Promise<ScimReply>;

/** Calls a SCIM endpoint at `baseUrl` with a bearer token. */
export function scimClient(baseUrl: string, token: string): ScimCall {
  return async (method, pathName, body) => {
    const res = await fetch(`${baseUrl}${pathName}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
}

export interface BenchEndpoint {
  store: KubernetesScimStore;
  call: ScimCall;
  stop(): Promise<void>;
}

export async function startEndpoint(kc: KubeConfig, connection: string, token: string): Promise<BenchEndpoint> {
  const store = new KubernetesScimStore({ kc });
  await store.start();
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/scim/v2`;
  server.on(
    'request',
    createScimApp({
      service: createScimService({ store, baseUrl }),
      authenticate: tokenAuthenticator([{ token, connection }]),
      limits: { maxBodyBytes: limits.maxBodyBytes, requestTimeoutMs: 60_000 },
    }),
  );
  return {
    store,
    call: scimClient(baseUrl, token),
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.stop();
    },
  };
}
