import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { annotations } from '../api/labels.ts';
import type { ScimGroup } from '../api/scim-group.ts';
import type { ScimGroupMembers } from '../api/scim-group-members.ts';
import { GroupMemberWrites } from './group-member-writes.ts';
import { inMemoryShards } from './member-shards.test-support.ts';
import { locate, memberHash, shardDepth, shardMemberIds } from './member-shards.ts';

/**
 * Two replicas changing one group's members at once while its shards split (docs/adr/0025), every API call's answer
 * released in an order fast-check picks: what the replicas acknowledged must be exactly what is stored.
 */

const ctx = { connection: 'entra' };
const SPLIT_AT = 3;

/** One API server for the group and its shards; each replica's cache holds only what that replica wrote. */
function cluster(s: fc.Scheduler) {
  let rv = 1;
  const bump = () => String(++rv);
  let group: ScimGroup = {
    apiVersion: 'scim-operator.dev/v1alpha1',
    kind: 'ScimGroup',
    metadata: {
      name: 'g',
      uid: 'uid-g',
      resourceVersion: '1',
      labels: { 'scim-operator.dev/connection': 'entra' },
      annotations: { [annotations.memberShardDepth]: '0' },
    },
    spec: { displayName: 'G' },
  };
  const api = inMemoryShards(bump);
  const server = {
    get: s.scheduleFunction(api.get),
    replace: s.scheduleFunction(api.replace),
    create: s.scheduleFunction(api.create),
    list: s.scheduleFunction(api.list),
    mergePatch: s.scheduleFunction(async function mergePatch(
      _name: string,
      patch: { metadata: { annotations: Record<string, string> } },
    ) {
      group = {
        ...group,
        metadata: {
          ...group.metadata,
          resourceVersion: bump(),
          annotations: { ...group.metadata.annotations, ...patch.metadata.annotations },
        },
      };
      return structuredClone(group);
    }),
  };
  const replica = () => {
    const seen = new Map<string, ScimGroupMembers>();
    return new GroupMemberWrites({
      groups: { mergePatch: server.mergePatch },
      shards: server,
      cache: {
        get: () => structuredClone(group),
        expect: () => {},
        shard: (name) => structuredClone(seen.get(name)),
        expectShard: (shard) => void seen.set(shard.metadata.name, structuredClone(shard)),
      },
      clock: () => new Date('2026-12-05T16:00:00Z'),
      deadline: () => Date.now() + 20_000,
      readOwned: async () => structuredClone(group),
      onUnexpectedError: (err) => {
        throw err;
      },
      splitAt: SPLIT_AT,
      // Retry waits are scheduled too, so that a replica backing off does not let the other run alone.
      sleep: s.scheduleFunction(async function sleep(_ms: number) {}),
    });
  };
  return { replica, shards: () => [...api.shards.values()] };
}

/** An IdP's requests to one replica, one at a time: adds in batches, then removals of some of what it added. */
const requests = (prefix: string) =>
  fc
    .record({
      count: fc.integer({ min: 4, max: 10 }),
      batch: fc.integer({ min: 1, max: 4 }),
      removeEvery: fc.integer({ min: 2, max: 4 }),
    })
    .map(({ count, batch, removeEvery }) => {
      const ids = Array.from({ length: count }, (_, i) => `${prefix}${i}`);
      const adds: string[][] = [];
      for (let i = 0; i < ids.length; i += batch) adds.push(ids.slice(i, i + batch));
      const removes = ids.filter((_, i) => i % removeEvery === 0);
      return { adds, removes, kept: ids.filter((id) => !removes.includes(id)) };
    });

describe('member shards that split under two concurrent replicas', () => {
  it('store exactly the acknowledged members, each once, in unsealed shards a walk finds them in, whatever the order of answers', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), requests('a'), requests('b'), async (s, a, b) => {
        const api = cluster(s);
        // Each replica serves three IdP workers at once, so that its own edits of one shard meet in its write rounds
        // too (a round holds every edit that waited for the write before it: two or more need three workers).
        const workers = <T>(items: T[], send: (item: T) => Promise<unknown>) =>
          Promise.all(
            [0, 1, 2].map(async (worker) => {
              for (let i = worker; i < items.length; i += 3) await send(items[i]!);
            }),
          );
        const run = async (writes: GroupMemberWrites, plan: typeof a) => {
          await workers(plan.adds, (batch) =>
            writes.change(ctx, 'g', { add: batch.map((value) => ({ value, type: 'User' as const })) }, undefined),
          );
          await workers(plan.removes, (id) => writes.change(ctx, 'g', { remove: [id] }, undefined));
        };
        await s.waitFor(Promise.all([run(api.replica(), a), run(api.replica(), b)]));

        const shards = api.shards();
        const stored = shards.flatMap((shard) => shardMemberIds(shard.spec));
        expect(stored.sort()).toEqual([...a.kept, ...b.kept].sort());
        const byNumber = new Map(shards.map((shard) => [shard.spec.shard, shard]));
        for (const shard of shards) {
          expect(shard.spec.sealed, `${shard.metadata.name} left sealed`).not.toBe(true);
          expect(shardMemberIds(shard.spec).length).toBeLessThanOrEqual(SPLIT_AT + 4);
        }
        for (const id of stored) {
          const placement = locate(memberHash(id), 0, (n) => {
            const found = byNumber.get(n);
            return found && { depth: shardDepth(found.spec), sealed: false };
          });
          expect(placement && shardMemberIds(byNumber.get(placement.shard)!.spec)).toContain(id);
        }
      }),
      { numRuns: 150 },
    );
  }, 120_000);
});
