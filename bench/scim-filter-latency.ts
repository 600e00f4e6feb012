/**
 * Latency of the lookups IdPs make before they write — `filter=userName eq`, `externalId eq`,
 * `emails[type eq "work"].value eq`, group `displayName eq`, GET by id — with 10,000 users stored, one request at a
 * time, and the API requests each costs. An indexed lookup is one live GET confirming the cache's candidate
 * (docs/adr/0019-one-request-lookups-and-member-writes.md), so its floor is one raw GET by name. Goal (issue 15): every
 * indexed lookup's p99 at most 1.5 times the raw GET's p99 in the same run.
 */

import { labels } from '../src/api/labels.ts';
import type { ScimUser } from '../src/api/scim-user.ts';
import { scimUserKind } from '../src/api/scim-user.ts';
import { ResourceClient } from '../src/store/kube-client.ts';
import { userNameHash } from '../src/store/resource-mapping.ts';
import { prepareOperatorIdentity, startBenchCluster, uniqueName } from './support/cluster.ts';
import { startEndpoint } from './support/endpoint.ts';
import { elapsedMs, latencySummary, log, now, percentile, printResults, scaled } from './support/measure.ts';
import { seedUsers } from './support/seed.ts';

const USERS = scaled(10_000, 200);
const LOOKUPS = scaled(1000, 100);
const GROUPS = scaled(200, 20);
const WARMUP = 50;
/** Lookups whose p99 the goal compares with the raw GET's. */
const INDEXED = ['userName eq', 'externalId eq', 'emails[type eq "work"].value eq', 'displayName eq'];

const cluster = await startBenchCluster();
try {
  const identity = await prepareOperatorIdentity(cluster);
  let started = now();
  const users = await seedUsers(identity.kc, identity.connection, USERS, 'filter');
  const seedSeconds = elapsedMs(started) / 1000;
  log(`seeded ${USERS} users in ${seedSeconds.toFixed(1)} s`);
  const endpoint = await startEndpoint(identity.kc, identity.connection, identity.token);
  const rawUsers = new ResourceClient<ScimUser>(identity.kc, scimUserKind.kind, scimUserKind.plural);
  const groups: { id: string; displayName: string }[] = [];
  for (let i = 0; i < GROUPS; i++) {
    const displayName = uniqueName(`filter-group-${i}`);
    const reply = await endpoint.call('POST', '/Groups', { displayName });
    if (reply.status !== 201) throw new Error(`POST /Groups answered ${reply.status}`);
    groups.push({ id: reply.body.id, displayName });
  }

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
    'GET /Users?filter=emails[type eq "work"].value eq': async (i: number) => {
      const user = pick(i);
      const filter = `emails[type eq "work"].value eq "${user.userName}"`;
      const reply = await endpoint.call('GET', `/Users?filter=${encodeURIComponent(filter)}`);
      if (reply.body?.totalResults !== 1 || reply.body.Resources[0].id !== user.id) {
        throw new Error(`${filter} did not find ${user.id}: ${JSON.stringify(reply.body)}`);
      }
    },
    'GET /Groups?filter=displayName eq': async (i: number) => {
      const group = groups[(i * 7919) % groups.length]!;
      const filter = `displayName eq "${group.displayName}"`;
      const reply = await endpoint.call(
        'GET',
        `/Groups?filter=${encodeURIComponent(filter)}&excludedAttributes=members`,
      );
      if (reply.body?.totalResults !== 1 || reply.body.Resources[0].id !== group.id) {
        throw new Error(`${filter} did not find ${group.id}: ${JSON.stringify(reply.body)}`);
      }
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

  const rawGetP99 = percentile(results.get('raw GET by name (API server floor)')!.samples, 99);
  const rows = [...results].map(([name, { samples, requests }]) => {
    const p99 = percentile(samples, 99);
    const goal = INDEXED.some((attribute) => name.endsWith(attribute))
      ? { goal: `p99 <= 1.5 x raw GET p99 (${(1.5 * rawGetP99).toFixed(1)} ms)`, met: p99 <= 1.5 * rawGetP99 }
      : {};
    return {
      metric: name,
      ...goal,
      measured: `${latencySummary(samples)}${name.startsWith('raw') ? '' : `, ${requests.toFixed(1)} API req`}`,
    };
  });
  printResults(`Lookup latency with ${USERS.toLocaleString('en')} users, sequential`, rows, [
    `seeded ${USERS} users with raw creates in ${seedSeconds.toFixed(1)} s (${(USERS / seedSeconds).toFixed(0)}/s)`,
    `${GROUPS} groups created through POST /Groups`,
  ]);
  await endpoint.stop();
} finally {
  await cluster.stop();
}
