/**
 * POST /Users throughput through the SCIM endpoint against raw createClusterCustomObject of the same ScimUser objects,
 * on the same API server, as the same (non-admin) operator identity, with the same concurrency. Modes run
 * interleaved in rounds so that drift of the shared machine hits all of them alike. Goal: endpoint >= 0.8 x raw.
 */

import { CustomObjectsApi } from '@kubernetes/client-node';
import { API_GROUP, API_VERSION } from '../src/api/crd-builder.ts';
import { type ScimUser, scimUserKind } from '../src/api/scim-user.ts';
import { ResourceClient } from '../src/store/kube-client.ts';
import { apiserverRequests, describeCounts, requestsBetween, total } from './support/apiserver-requests.ts';
import { prepareOperatorIdentity, startBenchCluster, uniqueName } from './support/cluster.ts';
import { startEndpoint } from './support/endpoint.ts';
import { elapsedMs, inParallel, log, now, printResults, scaled } from './support/measure.ts';
import { scimUserObject, userAttributes } from './support/seed.ts';

const USERS = scaled(2000, 100);
const CONCURRENCY = 16;
const ROUNDS = 2;
const WARMUP = 50;
const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';

const cluster = await startBenchCluster();
try {
  const identity = await prepareOperatorIdentity(cluster);
  const endpoint = await startEndpoint(identity.kc, identity.connection, identity.token);
  const rawApi = identity.kc.makeApiClient(CustomObjectsApi);
  const pooledClient = new ResourceClient<ScimUser>(identity.kc, scimUserKind.kind, scimUserKind.plural);

  type Mode = 'raw client-node' | 'raw, pooled connections' | 'SCIM endpoint';
  const create: Record<Mode, (prefix: string, i: number) => Promise<void>> = {
    'raw client-node': async (prefix, i) => {
      const body = {
        apiVersion: `${API_GROUP}/${API_VERSION}`,
        kind: scimUserKind.kind,
        ...scimUserObject(identity.connection, crypto.randomUUID(), userAttributes(prefix, i)),
      };
      await rawApi.createClusterCustomObject({ group: API_GROUP, version: API_VERSION, plural: 'scimusers', body });
    },
    'raw, pooled connections': async (prefix, i) => {
      await pooledClient.create(scimUserObject(identity.connection, crypto.randomUUID(), userAttributes(prefix, i)));
    },
    'SCIM endpoint': async (prefix, i) => {
      const reply = await endpoint.call('POST', '/Users', { schemas: [USER_SCHEMA], ...userAttributes(prefix, i) });
      if (reply.status !== 201) throw new Error(`POST /Users answered ${reply.status}: ${JSON.stringify(reply.body)}`);
    },
  };
  const modes = Object.keys(create) as Mode[];
  const spent = new Map<Mode, number>(modes.map((m) => [m, 0]));

  for (const mode of modes) await inParallel(WARMUP, CONCURRENCY, (i) => create[mode](uniqueName('warm'), i));

  const perRound = Math.ceil(USERS / ROUNDS);
  let storeRequests = 0;
  let endpointApiRequests = new Map<string, number>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of modes) {
      const prefix = uniqueName('u');
      const requestsBefore = endpoint.store.requestCount();
      const served = await apiserverRequests(cluster.admin);
      const started = now();
      await inParallel(perRound, CONCURRENCY, (i) => create[mode](prefix, i));
      const took = elapsedMs(started);
      spent.set(mode, (spent.get(mode) ?? 0) + took);
      log(`round ${round + 1} ${mode}: ${perRound} creates in ${(took / 1000).toFixed(2)} s`);
      if (mode === 'SCIM endpoint') {
        storeRequests += endpoint.store.requestCount() - requestsBefore;
        const delta = requestsBetween(served, await apiserverRequests(cluster.admin), ['scimusers', 'scimclaims']);
        for (const [key, value] of delta) endpointApiRequests.set(key, (endpointApiRequests.get(key) ?? 0) + value);
      }
    }
  }
  endpointApiRequests = new Map([...endpointApiRequests].filter(([key]) => !key.startsWith('LIST')));

  const creates = perRound * ROUNDS;
  const rate = (mode: Mode) => creates / ((spent.get(mode) ?? 1) / 1000);
  const endpointRate = rate('SCIM endpoint');
  const rawRate = rate('raw client-node');
  const pooledRate = rate('raw, pooled connections');
  const fastestRaw = Math.max(rawRate, pooledRate);
  printResults(
    `POST /Users throughput, ${creates} creates per mode, concurrency ${CONCURRENCY}`,
    [
      { metric: 'raw createClusterCustomObject (client-node makeApiClient)', measured: `${rawRate.toFixed(0)} /s` },
      { metric: 'raw create, one connection pool (store ResourceClient)', measured: `${pooledRate.toFixed(0)} /s` },
      { metric: 'POST /Users through the SCIM endpoint', measured: `${endpointRate.toFixed(0)} /s` },
      {
        metric: 'endpoint / raw client-node',
        goal: '>= 0.8',
        measured: (endpointRate / rawRate).toFixed(2),
        met: endpointRate / rawRate >= 0.8,
      },
      {
        metric: 'endpoint / fastest raw',
        goal: '>= 0.8',
        measured: (endpointRate / fastestRaw).toFixed(2),
        met: endpointRate / fastestRaw >= 0.8,
      },
      { metric: 'API requests per POST /Users (store counter)', measured: (storeRequests / creates).toFixed(2) },
      {
        metric: 'API requests per POST /Users (apiserver_request_total)',
        measured: (total(endpointApiRequests) / creates).toFixed(2),
      },
    ],
    [`API server requests during the endpoint rounds: ${describeCounts(endpointApiRequests)}`],
  );
  await endpoint.stop();
} finally {
  await cluster.stop();
}
