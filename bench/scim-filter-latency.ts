/**
 * Latency of the lookups IdPs make before they write — `filter=userName eq`, `filter=externalId eq`, GET by id —
 * with 10,000 users stored, one request at a time. The eq filters are consistent label-selector lists on the API
 * server (docs/adr/0006-store-consistency.md); the same list sent straight to the API server is the floor they
 * stand on. Goal: userName eq p99 < 5 ms.
 */

import { labels } from '../src/api/labels.ts';
import type { ScimUser } from '../src/api/scim-user.ts';
import { scimUserKind } from '../src/api/scim-user.ts';
import { ResourceClient } from '../src/store/kube-client.ts';
import { userNameHash } from '../src/store/resource-mapping.ts';
import { prepareOperatorIdentity, startBenchCluster } from './support/cluster.ts';
import { startEndpoint } from './support/endpoint.ts';
import { elapsedMs, latencySummary, log, now, percentile, printResults, scaled } from './support/measure.ts';
import { seedUsers } from './support/seed.ts';

const USERS = scaled(10_000, 200);
const LOOKUPS = scaled(1000, 100);
const WARMUP = 50;

const cluster = await startBenchCluster();
try {
  const identity = await prepareOperatorIdentity(cluster);
  let started = now();
  const users = await seedUsers(identity.kc, identity.connection, USERS, 'filter');
  const seedSeconds = elapsedMs(started) / 1000;
  log(`seeded ${USERS} users in ${seedSeconds.toFixed(1)} s`);
  const endpoint = await startEndpoint(identity.kc, identity.connection, identity.token);
  const rawUsers = new ResourceClient<ScimUser>(identity.kc, scimUserKind.kind, scimUserKind.plural);

  const pick = (i: number) => users[(i * 7919) % users.length]!;
  const lookups = {
    'GET /Users?filter=userName eq': async (i: number) => {
      const user = pick(i);
      const reply = await endpoint.call('GET', `/Users?filter=${encodeURIComponent(`userName eq "${user.userName}"`)}`);
      if (reply.body?.totalResults !== 1 || reply.body.Resources[0].id !== user.id) {
        throw new Error(`userName eq ${user.userName} did not find ${user.id}: ${JSON.stringify(reply.body)}`);
      }
    },
    'GET /Users?filter=externalId eq': async (i: number) => {
      const user = pick(i);
      const reply = await endpoint.call(
        'GET',
        `/Users?filter=${encodeURIComponent(`externalId eq "${user.externalId}"`)}`,
      );
      if (reply.body?.totalResults !== 1) throw new Error(`externalId eq ${user.externalId} found nothing`);
    },
    'GET /Users/{id}': async (i: number) => {
      const reply = await endpoint.call('GET', `/Users/${pick(i).id}`);
      if (reply.status !== 200) throw new Error(`GET /Users/${pick(i).id} answered ${reply.status}`);
    },
    'raw label-selector list (API server floor)': async (i: number) => {
      const selector = `${labels.connection}=${identity.connection},${labels.userNameHash}=${userNameHash(pick(i).userName)}`;
      if ((await rawUsers.list(selector)).length !== 1) throw new Error('raw list did not find the user');
    },
    'raw GET by name (API server floor)': async (i: number) => {
      await rawUsers.get(pick(i).id);
    },
  };

  // Kinds are interleaved, one request of each per round, so that drift of the shared machine hits all alike.
  const results = new Map(Object.keys(lookups).map((name) => [name, { samples: [] as number[], requests: 0 }]));
  for (const lookup of Object.values(lookups)) for (let i = 0; i < WARMUP; i++) await lookup(i + LOOKUPS);
  for (let i = 0; i < LOOKUPS; i++) {
    for (const [name, lookup] of Object.entries(lookups)) {
      const result = results.get(name)!;
      const requestsBefore = endpoint.store.requestCount();
      started = now();
      await lookup(i);
      result.samples.push(elapsedMs(started));
      result.requests += (endpoint.store.requestCount() - requestsBefore) / LOOKUPS;
    }
  }
  for (const [name, { samples }] of results) log(`${name}: ${latencySummary(samples)}`);

  const rows = [...results].map(([name, { samples, requests }]) => {
    const p99 = percentile(samples, 99);
    const goal = name.includes('userName eq') ? { goal: 'p99 < 5 ms', met: p99 < 5 } : {};
    return {
      metric: name,
      ...goal,
      measured: `${latencySummary(samples)}${name.startsWith('raw') ? '' : `, ${requests.toFixed(1)} API req`}`,
    };
  });
  printResults(`Lookup latency with ${USERS.toLocaleString('en')} users, sequential`, rows, [
    `seeded ${USERS} users with raw creates in ${seedSeconds.toFixed(1)} s (${(USERS / seedSeconds).toFixed(0)}/s)`,
  ]);
  await endpoint.stop();
} finally {
  await cluster.stop();
}
