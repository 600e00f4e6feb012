/**
 * A large group built through the SCIM API on the real control plane: PATCHes of 1,000 members each, then checks
 * that no stored object nears etcd's limit, that adding or removing one member writes the group and one shard and
 * makes a bounded number of API requests, and that GET /Groups/{id} returns exactly the members added.
 *
 * Size: 100,000 members by default (`SCIM_LARGE_GROUP_MEMBERS` sets another size). It runs in the `scale` project,
 * after the other suites, so that its load does not disturb their timing.
 *
 * Members must be existing users of the connection (the service checks that they exist, T45), so the users are
 * real ScimUser objects. Creating them all through POST /Users (a uniqueness claim plus the user, ~200 users/s here)
 * would dominate the run, so the first MEASURED_POSTS users go through POST /Users (the rate is reported) and the rest
 * are written straight to the API server as the same ScimUser objects POST stores (labels, annotations, spec),
 * without the claim, which only guards userName uniqueness and plays no part in membership.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { annotations, labels } from '../../src/api/labels.ts';
import { SPLIT_SHARD_AT } from '../../src/api/scim-group-members.ts';
import type { ScimUser } from '../../src/api/scim-user.ts';
import { shardMemberIds } from '../../src/store/member-shards.ts';
import { indexLabels, toSpec } from '../../src/store/resource-mapping.ts';
import { uniqueName } from '../support/cluster.ts';
import {
  ClusterView,
  type KubernetesTestServer,
  startKubernetesTestServer,
} from '../support/kubernetes-scim-server.ts';

const MEMBERS = Number(process.env.SCIM_LARGE_GROUP_MEMBERS ?? 100_000);
/** The group size the shard layout is meant to hold without any object reaching 1 MiB. */
const TARGET_MEMBERS = 100_000;
const PER_PATCH = 1_000;
const MEASURED_POSTS = 1_000;
const ONE_MIB = 1024 * 1024;
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

const cluster = new ClusterView();
let server: KubernetesTestServer;
const timings: Record<string, string> = {};
beforeAll(async () => {
  server = await startKubernetesTestServer();
});
afterAll(async () => {
  process.stderr.write(`[large group] ${JSON.stringify(timings, null, 2)}\n`);
  await server?.stop();
  // 100,000 users would slow every later store start in this run (informers list all users): remove them at once.
  const connection = `${labels.connection}=${server?.connections.a}`;
  await cluster.deleteCollection('scimusers', connection).catch(() => {});
  await cluster.deleteCollection('scimclaims', connection).catch(() => {});
}, 300_000);

/** Runs `task(i)` for i in [0, count) with at most `concurrency` in flight. */
async function inParallel(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

const seconds = (since: number) => (Date.now() - since) / 1000;

async function postUsers(count: number): Promise<string[]> {
  const ids: string[] = new Array(count);
  await inParallel(count, 64, async (i) => {
    const reply = await server.call('POST', '/Users', {
      body: { schemas: [USER], userName: `posted-${i}-${uniqueName('m')}@example.com`, active: true },
    });
    if (reply.status !== 201) throw new Error(`POST /Users answered ${reply.status}: ${JSON.stringify(reply.body)}`);
    ids[i] = reply.body.id;
  });
  return ids;
}

/** The ScimUser objects POST /Users would write, without the uniqueness claim. */
async function seedUsers(count: number): Promise<string[]> {
  const connection = server.connections.a;
  const ids: string[] = new Array(count);
  await inParallel(count, 64, async (i) => {
    const id = crypto.randomUUID();
    const attributes = { userName: `seeded-${i}-${id}@example.com`, active: true };
    const now = new Date().toISOString();
    await server.store.users.create({
      metadata: {
        name: id,
        labels: indexLabels(connection, 'User', attributes),
        annotations: { [annotations.created]: now, [annotations.lastModified]: now },
      },
      spec: toSpec('User', attributes),
    } as Omit<ScimUser, 'apiVersion' | 'kind'>);
    ids[i] = id;
  });
  return ids;
}

const addMembers = (ids: string[]) => ({
  schemas: [PATCH_OP],
  Operations: [{ op: 'Add', path: 'members', value: ids.map((value) => ({ $ref: null, value })) }],
});

/** resourceVersion of the group and of each shard, to see which objects a request wrote. */
async function objectVersions(groupId: string): Promise<Map<string, string>> {
  const versions = new Map<string, string>();
  const group = await cluster.get('scimgroups', groupId);
  versions.set(groupId, String(group?.metadata.resourceVersion));
  for (const shard of await cluster.shards(groupId))
    versions.set(shard.metadata.name, String(shard.metadata.resourceVersion));
  return versions;
}

/** The name of the shard that holds `member`. */
async function holderOf(groupId: string, member: string): Promise<string | undefined> {
  return (await cluster.shards(groupId)).find((s) => shardMemberIds(s.spec).includes(member))?.metadata.name;
}

function changedObjects(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...after].filter(([name, version]) => before.get(name) !== version).map(([name]) => name);
}

describe(`a ${MEMBERS.toLocaleString('en')}-member group on the Kubernetes store`, () => {
  let groupId: string;
  const expected = new Set<string>();

  it(
    `is built with ${Math.ceil(MEMBERS / PER_PATCH)} PATCHes of up to ${PER_PATCH} members through the SCIM API`,
    async ({ signal }) => {
      let started = Date.now();
      const posted = await postUsers(Math.min(MEASURED_POSTS, MEMBERS));
      timings.postUsersPerSecond = (posted.length / seconds(started)).toFixed(0);
      started = Date.now();
      const seeded = await seedUsers(MEMBERS - posted.length);
      timings.seedUsersSeconds = seconds(started).toFixed(1);
      timings.seedUsersPerSecond = (seeded.length / seconds(started)).toFixed(0);
      const users = [...posted, ...seeded];

      const created = await server.call('POST', '/Groups', {
        body: { schemas: [GROUP], displayName: uniqueName('Everyone') },
      });
      expect(created.status).toBe(201);
      groupId = created.body.id;

      started = Date.now();
      const patchSeconds: number[] = [];
      for (let start = 0; start < users.length; start += PER_PATCH) {
        // A timed-out test would otherwise keep adding members under the tests that follow.
        signal.throwIfAborted();
        const batch = users.slice(start, start + PER_PATCH);
        const patchStarted = Date.now();
        const reply = await server.call('PATCH', `/Groups/${groupId}`, { body: addMembers(batch) });
        expect(reply.status, JSON.stringify(reply.body)).toBe(204);
        patchSeconds.push(seconds(patchStarted));
        for (const id of batch) expected.add(id);
      }
      timings.buildGroupSeconds = seconds(started).toFixed(1);
      timings.firstPatchSeconds = patchSeconds[0]!.toFixed(2);
      timings.lastPatchSeconds = patchSeconds.at(-1)!.toFixed(2);
      timings.slowestPatchSeconds = Math.max(...patchSeconds).toFixed(2);
      expect(expected.size).toBe(MEMBERS);
    },
    Math.max(300_000, MEMBERS * 10),
  );

  it('keeps the group and every member shard under 1 MiB', async () => {
    const group = await cluster.get('scimgroups', groupId);
    const shards = await cluster.shards(groupId);
    const sizes = [group, ...shards].map((o) => Buffer.byteLength(JSON.stringify(o)));
    timings.groupObjectBytes = String(sizes[0]);
    timings.largestShardBytes = String(Math.max(...sizes.slice(1)));
    timings.shards = String(shards.length);
    for (const size of sizes) expect(size).toBeLessThan(ONE_MIB);
    expect(shards.reduce((n, s) => n + shardMemberIds(s.spec).length, 0)).toBe(MEMBERS);
    // A member is its id in a list of strings, ~40 bytes (docs/adr/0023); field ownership in managedFields once added
    // ~100 more per member, which would put a full shard past etcd's request limit.
    const bytesPerMember = sizes.slice(1).map((size, i) => size / shardMemberIds(shards[i]!.spec).length);
    timings.largestBytesPerMember = Math.max(...bytesPerMember).toFixed(1);
    for (const perMember of bytesPerMember) expect(perMember).toBeLessThan(45);
    // Shards split as the group grows (docs/adr/0025): one member change rewrites at most ~40 KB.
    for (const shard of shards) expect(shardMemberIds(shard.spec).length).toBeLessThanOrEqual(SPLIT_SHARD_AT);
    // A shard of a TARGET_MEMBERS group, with 10% hash imbalance, at the largest size per member seen here.
    const projectedShardBytes = Math.max(...bytesPerMember) * (TARGET_MEMBERS / shards.length) * 1.1;
    timings.projectedShardBytesAt100k = projectedShardBytes.toFixed(0);
    expect(projectedShardBytes).toBeLessThan(ONE_MIB);
  });

  it('adds one member with a bounded number of API requests, writing the group and one shard', async () => {
    const [newcomer] = await postUsers(1);
    const before = await objectVersions(groupId);
    const requestsBefore = server.store.requestCount();
    const started = Date.now();
    const reply = await server.call('PATCH', `/Groups/${groupId}`, { body: addMembers([newcomer!]) });
    timings.addOneMemberMs = String(Date.now() - started);
    expect(reply.status).toBe(204);
    const requests = server.store.requestCount() - requestsBefore;
    timings.addOneMemberRequests = String(requests);
    // Read the group, check the member exists, bump the group (read + write), read and write its shard.
    expect(requests).toBeLessThanOrEqual(8);
    const changed = changedObjects(before, await objectVersions(groupId));
    expect(changed).toContain(groupId);
    expect(changed).toContain(await holderOf(groupId, newcomer!));
    // A third object only when this add split a full shard in two (docs/adr/0025).
    expect(changed.length).toBeLessThanOrEqual(3);
    expected.add(newcomer!);
  });

  it('removes one member with a bounded number of API requests, writing the group and one shard', async () => {
    const leaver = [...expected][Math.floor(expected.size / 2)]!;
    const before = await objectVersions(groupId);
    const requestsBefore = server.store.requestCount();
    const started = Date.now();
    const reply = await server.call('PATCH', `/Groups/${groupId}`, {
      body: { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: `members[value eq "${leaver}"]` }] },
    });
    timings.removeOneMemberMs = String(Date.now() - started);
    expect(reply.status).toBe(204);
    const requests = server.store.requestCount() - requestsBefore;
    timings.removeOneMemberRequests = String(requests);
    expect(requests).toBeLessThanOrEqual(8);
    const changed = changedObjects(before, await objectVersions(groupId));
    expect(changed).toHaveLength(2);
    expect(changed).toContain(groupId);
    expect(
      shardMemberIds((await cluster.get('scimgroupmembers', changed.find((n) => n !== groupId)!))!.spec),
    ).not.toContain(leaver);
    expected.delete(leaver);
  });

  it('returns exactly the expected members from GET /Groups/{id}', async () => {
    const started = Date.now();
    const reply = await server.call('GET', `/Groups/${groupId}`);
    timings.getGroupMs = String(Date.now() - started);
    expect(reply.status).toBe(200);
    const members: { value: string; type: string }[] = reply.body.members;
    expect(members).toHaveLength(expected.size);
    expect(new Set(members.map((m) => m.value))).toEqual(expected);
    expect(members.every((m) => m.type === 'User')).toBe(true);

    const requestsBefore = server.store.requestCount();
    const light = await server.call('GET', `/Groups/${groupId}?excludedAttributes=members`);
    expect(light.body).not.toHaveProperty('members');
    expect(server.store.requestCount() - requestsBefore, 'no shard is read when members are excluded').toBe(1);
  });

  it('deletes the group and all its shards', async () => {
    expect((await server.call('DELETE', `/Groups/${groupId}`)).status).toBe(204);
    expect(await cluster.get('scimgroups', groupId)).toBeUndefined();
    expect(await cluster.shards(groupId)).toEqual([]);
  });
});
