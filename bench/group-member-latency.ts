/**
 * Latency of adding and removing one member of a large group through PATCH /Groups/{id}, and the API requests each
 * change costs. Members must be existing users (src/scim/group-members.ts checks each one), so the users are seeded
 * as real ScimUser objects and the group is built through the endpoint, `maxMembersPerRequest` members per PATCH.
 * BENCH_GROUP_MEMBERS sets the group size. The default, 25,000 x BENCH_SCALE, keeps `npm run bench` near 15 minutes:
 * at 100,000 seeding and building take about 12 minutes on 2 cores (docs/benchmarks.md). Goal: p99 < 100 ms.
 */

import { labels } from '../src/api/labels.ts';
import { type ScimGroupMembers, scimGroupMembersKind } from '../src/api/scim-group-members.ts';
import { limits } from '../src/scim/schemas.ts';
import { ResourceClient } from '../src/store/kube-client.ts';
import { shardMemberIds } from '../src/store/member-shards.ts';
import { prepareOperatorIdentity, startBenchCluster, uniqueName } from './support/cluster.ts';
import { startEndpoint } from './support/endpoint.ts';
import { elapsedMs, latencySummary, log, now, percentile, printResults, scaled } from './support/measure.ts';
import { seedUsers } from './support/seed.ts';

const MEMBERS = Number(process.env.BENCH_GROUP_MEMBERS ?? scaled(25_000, 1000));
const SAMPLES = scaled(50, 20);
/** As many members per PATCH as the endpoint accepts. */
const PER_PATCH = limits.maxMembersPerRequest;
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

const cluster = await startBenchCluster();
try {
  const identity = await prepareOperatorIdentity(cluster);
  let started = now();
  const members = await seedUsers(identity.kc, identity.connection, MEMBERS, 'member', 48);
  const seedSeconds = elapsedMs(started) / 1000;
  log(`seeded ${MEMBERS} users in ${seedSeconds.toFixed(1)} s`);
  const newcomers = await seedUsers(identity.kc, identity.connection, SAMPLES, 'newcomer');
  const endpoint = await startEndpoint(identity.kc, identity.connection, identity.token);

  const created = await endpoint.call('POST', '/Groups', { displayName: uniqueName('Everyone') });
  if (created.status !== 201) throw new Error(`POST /Groups answered ${created.status}`);
  const groupId: string = created.body.id;
  const patch = async (operations: unknown[]) => {
    const reply = await endpoint.call('PATCH', `/Groups/${groupId}`, { schemas: [PATCH_OP], Operations: operations });
    if (reply.status !== 204) throw new Error(`PATCH answered ${reply.status}: ${JSON.stringify(reply.body)}`);
  };

  started = now();
  for (let start = 0; start < members.length; start += PER_PATCH) {
    const batch = members.slice(start, start + PER_PATCH).map((u) => ({ value: u.id }));
    await patch([{ op: 'add', path: 'members', value: batch }]);
  }
  const buildSeconds = elapsedMs(started) / 1000;
  log(`built the group with ${Math.ceil(MEMBERS / PER_PATCH)} PATCHes in ${buildSeconds.toFixed(1)} s`);

  const shards = await new ResourceClient<ScimGroupMembers>(
    identity.kc,
    scimGroupMembersKind.kind,
    scimGroupMembersKind.plural,
  ).list(`${labels.group}=${groupId}`);
  const stored = shards.reduce((n, s) => n + shardMemberIds(s.spec).length, 0);
  if (stored !== MEMBERS) throw new Error(`the group holds ${stored} members, not ${MEMBERS}`);
  const largestShard = Math.max(...shards.map((s) => Buffer.byteLength(JSON.stringify(s))));

  const adds: number[] = [];
  const removes: number[] = [];
  let addRequests = 0;
  let removeRequests = 0;
  const { groups: groupClient, shards: shardClient } = endpoint.store;
  const [groupRequestsBefore, shardRequestsBefore] = [groupClient.requests, shardClient.requests];
  for (const user of newcomers) {
    let before = endpoint.store.requestCount();
    started = now();
    await patch([{ op: 'add', path: 'members', value: [{ value: user.id }] }]);
    adds.push(elapsedMs(started));
    addRequests += endpoint.store.requestCount() - before;
    before = endpoint.store.requestCount();
    started = now();
    await patch([{ op: 'remove', path: `members[value eq "${user.id}"]` }]);
    removes.push(elapsedMs(started));
    removeRequests += endpoint.store.requestCount() - before;
  }
  log(`add: ${latencySummary(adds)}; remove: ${latencySummary(removes)}`);
  const perChange = (n: number) => (n / (2 * SAMPLES)).toFixed(1);
  const groupRequests = perChange(groupClient.requests - groupRequestsBefore);
  const shardRequests = perChange(shardClient.requests - shardRequestsBefore);

  printResults(`One member change in a ${MEMBERS.toLocaleString('en')}-member group, sequential`, [
    {
      metric: 'PATCH add one member',
      goal: 'p99 < 100 ms',
      measured: latencySummary(adds),
      met: percentile(adds, 99) < 100,
    },
    {
      metric: 'PATCH remove one member',
      goal: 'p99 < 100 ms',
      measured: latencySummary(removes),
      met: percentile(removes, 99) < 100,
    },
    { metric: 'API requests per add', measured: (addRequests / SAMPLES).toFixed(1) },
    { metric: 'API requests per remove', measured: (removeRequests / SAMPLES).toFixed(1) },
    {
      // The SCIM service reads the group before the store changes members (docs/adr/0019).
      metric: 'of which on the ScimGroup (service read + members token) / on member shards',
      measured: `${groupRequests} / ${shardRequests}`,
    },
    {
      metric: 'member shards / largest shard object',
      measured: `${shards.length} / ${(largestShard / 1e6).toFixed(2)} MB`,
    },
    {
      metric: `building the group (${Math.ceil(MEMBERS / PER_PATCH)} PATCHes of ${PER_PATCH})`,
      measured: `${buildSeconds.toFixed(1)} s (${(MEMBERS / buildSeconds).toFixed(0)} members/s)`,
    },
    {
      metric: 'seeding users (raw creates, 48 in flight)',
      measured: `${seedSeconds.toFixed(1)} s (${(MEMBERS / seedSeconds).toFixed(0)}/s)`,
    },
  ]);
  await endpoint.stop();
} finally {
  await cluster.stop();
}
