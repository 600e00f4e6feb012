import { describe, expect, it } from 'vitest';
import { annotations } from '../api/labels.ts';
import type { ScimGroup } from '../api/scim-group.ts';
import { type ScimGroupMembers, SPLIT_SHARD_AT } from '../api/scim-group-members.ts';
import type { StoredMember } from '../scim/store.ts';
import { GroupMemberWrites } from './group-member-writes.ts';
import { conflict, inMemoryShards, notFound } from './member-shards.test-support.ts';
import {
  locate,
  memberHash,
  shardDepth,
  shardMemberIds,
  shardMembers,
  shardOf,
  shardSpec,
  splitMembers,
} from './member-shards.ts';
import { MEMBERS_VERSION_ANNOTATION, scimVersion } from './scim-version.ts';

const ctx = { connection: 'entra' };

/** Two member ids that hash to the same shard. */
function sameShardPair(): [string, string] {
  const [first, second] = sameShard(2);
  return [first!, second!];
}

/** `n` member ids that hash to the same shard. */
function sameShard(n: number): string[] {
  const ids = ['u1'];
  for (let i = 2; ids.length < n; i++) if (shardOf(`u${i}`) === shardOf('u1')) ids.push(`u${i}`);
  return ids;
}

/**
 * An API server of one group and its shards, in memory, that records every request in order. `interfere` runs
 * before a conditional group patch, standing in for a controller's status write at the worst moment.
 */
function fakeServer(options: { cachedGroup?: boolean; startDepth?: number } = {}) {
  const log: string[] = [];
  let group: ScimGroup = {
    apiVersion: 'scim-operator.dev/v1alpha1',
    kind: 'ScimGroup',
    metadata: {
      name: 'g',
      uid: 'uid-g',
      generation: 1,
      resourceVersion: '1',
      labels: { 'scim-operator.dev/connection': 'entra' },
      ...(options.startDepth === undefined
        ? {}
        : { annotations: { [annotations.memberShardDepth]: String(options.startDepth) } }),
    },
    spec: { displayName: 'G' },
  };
  let rv = 1;
  let interfere: (() => void) | undefined;
  let failNextPatch: (() => Error) | undefined;
  /** What this replica's informer (or its own last write) holds of each shard. */
  const seenShards = new Map<string, ScimGroupMembers>();
  const bump = () => String(++rv);
  const groups = {
    get: async () => {
      log.push('get group');
      return structuredClone(group);
    },
    mergePatch: async (
      _name: string,
      patch: { metadata: { resourceVersion?: string; annotations: Record<string, string> } },
    ) => {
      interfere?.();
      interfere = undefined;
      const failure = failNextPatch?.();
      failNextPatch = undefined;
      if (failure) throw failure;
      const conditional = patch.metadata.resourceVersion !== undefined;
      log.push(conditional ? 'patch group if unchanged' : 'patch group');
      if (conditional && patch.metadata.resourceVersion !== group.metadata.resourceVersion) throw conflict();
      group = {
        ...group,
        metadata: {
          ...group.metadata,
          resourceVersion: bump(),
          annotations: { ...group.metadata.annotations, ...patch.metadata.annotations },
        },
      };
      return structuredClone(group);
    },
  };
  const api = inMemoryShards(bump);
  const { shards, store } = api;
  const shardClient = {
    get: (name: string) => {
      log.push(`get ${name}`);
      return api.get(name);
    },
    replace: (shard: ScimGroupMembers) => {
      log.push(`write ${shard.metadata.name}`);
      return api.replace(shard);
    },
    create: (shard: Omit<ScimGroupMembers, 'apiVersion' | 'kind'>) => {
      log.push(`write ${shard.metadata.name}`);
      return api.create(shard);
    },
    list: api.list,
  };
  const cache = {
    get: () => (options.cachedGroup ? structuredClone(group) : undefined),
    expect: () => {},
    shard: (name: string) => structuredClone(seenShards.get(name)),
    expectShard: (shard: ScimGroupMembers) => seenShards.set(shard.metadata.name, structuredClone(shard)),
  };
  const writes = new GroupMemberWrites({
    groups,
    shards: shardClient,
    cache,
    clock: () => new Date('2026-12-05T07:00:00Z'),
    deadline: () => Date.now() + 5_000,
    readOwned: async (c, _id) => {
      const read = await groups.get();
      return read.metadata.labels?.['scim-operator.dev/connection'] === c.connection ? read : undefined;
    },
    onUnexpectedError: () => {},
  });
  return {
    log,
    writes,
    group: () => group,
    members: () => [...shards.values()].flatMap((s) => shardMemberIds(s.spec)),
    shard: (name: string) => structuredClone(shards.get(name)),
    /** A shard as an operator before docs/adr/0023 wrote it (`members` objects), seen by this replica too. */
    legacyShard: (members: StoredMember[]) => {
      const shard = shardOf(members[0]!.value);
      const stored = store({
        apiVersion: 'scim-operator.dev/v1alpha1',
        kind: 'ScimGroupMembers',
        metadata: { name: `g-${shard}` },
        spec: { group: 'g', shard, members },
      });
      seenShards.set(stored.metadata.name, stored);
    },
    /** Another replica adds `member` to its shard; this replica's copy of the shard is now stale. */
    addElsewhere: (member: string) => {
      const name = `g-${shardOf(member)}`;
      const current = shards.get(name);
      store({
        apiVersion: 'scim-operator.dev/v1alpha1',
        kind: 'ScimGroupMembers',
        metadata: { name, resourceVersion: current?.metadata.resourceVersion },
        spec: shardSpec('g', shardOf(member), [...(current ? shardMembers(current.spec) : []), { value: member }]),
      });
    },
    /** Stores a shard as another writer left it; `seen`: this replica's cache holds that copy too. */
    put: (spec: ScimGroupMembers['spec'], seen = true) => {
      const name = `g-${spec.shard}`;
      const stored = store({
        apiVersion: 'scim-operator.dev/v1alpha1',
        kind: 'ScimGroupMembers',
        metadata: { name, resourceVersion: shards.get(name)?.metadata.resourceVersion },
        spec,
      });
      if (seen) seenShards.set(name, stored);
      return stored;
    },
    shards: () => [...shards.values()].map((s) => structuredClone(s)),
    failNextGroupPatch: (failure: () => Error) => {
      failNextPatch = failure;
    },
    /** A status write: a new resourceVersion, the same generation and annotations. */
    statusWriteBeforeNextPatch: () => {
      interfere = () => {
        group = { ...group, metadata: { ...group.metadata, resourceVersion: bump() } };
      };
    },
  };
}

describe('GroupMemberWrites', () => {
  it('without If-Match, changes the shards first and then sets a new members token unconditionally', async () => {
    const server = fakeServer({ cachedGroup: true });
    const before = scimVersion('Group', server.group());
    const written = await server.writes.change(ctx, 'g', { add: [{ value: 'u1' }] }, undefined);
    const shard = `g-${shardOf('u1')}`;
    expect(server.log).toEqual([`write ${shard}`, 'patch group']);
    expect(scimVersion('Group', written)).not.toBe(before);
    expect(written.metadata.annotations?.[MEMBERS_VERSION_ANNOTATION]).toBeDefined();
  });

  it('writes a shard from the copy this replica holds, without reading it first: two requests per change', async () => {
    const server = fakeServer({ cachedGroup: true });
    const [first, second] = sameShardPair();
    await server.writes.change(ctx, 'g', { add: [{ value: first }] }, undefined);
    server.log.length = 0;
    await server.writes.change(ctx, 'g', { add: [{ value: second }] }, undefined);
    await server.writes.change(ctx, 'g', { remove: [first] }, undefined);
    const shard = `g-${shardOf(first)}`;
    expect(server.log).toEqual([`write ${shard}`, 'patch group', `write ${shard}`, 'patch group']);
    expect(server.members()).toEqual([second]);
  });

  it('loses no member written through another replica: a stale copy costs a conflict and a live read', async () => {
    const server = fakeServer({ cachedGroup: true });
    const [first, second] = sameShardPair();
    await server.writes.change(ctx, 'g', { add: [{ value: first }] }, undefined);
    server.addElsewhere(second);
    server.log.length = 0;
    await server.writes.change(ctx, 'g', { remove: [first] }, undefined);
    const shard = `g-${shardOf(first)}`;
    expect(server.log).toEqual([`write ${shard}`, `get ${shard}`, `write ${shard}`, 'patch group']);
    expect(server.members()).toEqual([second]);
  });

  it('creates a shard another replica created meanwhile by reading it after the refused create', async () => {
    const server = fakeServer({ cachedGroup: true });
    const [first, second] = sameShardPair();
    server.addElsewhere(second);
    await server.writes.change(ctx, 'g', { add: [{ value: first }] }, undefined);
    const shard = `g-${shardOf(first)}`;
    expect(server.log).toEqual([`write ${shard}`, `get ${shard}`, `write ${shard}`, 'patch group']);
    expect(server.members().sort()).toEqual([first, second].sort());
  });

  it('writes nothing more when a stale copy hid that the member was added elsewhere', async () => {
    const server = fakeServer({ cachedGroup: true });
    const [first, second] = sameShardPair();
    await server.writes.change(ctx, 'g', { add: [{ value: first }] }, undefined);
    server.addElsewhere(second);
    server.log.length = 0;
    await server.writes.change(ctx, 'g', { add: [{ value: second }] }, undefined);
    const shard = `g-${shardOf(first)}`;
    expect(server.log).toEqual([`write ${shard}`, `get ${shard}`, 'get group']);
    expect(server.members().sort()).toEqual([first, second].sort());
  });

  it('confirms a change that its copy says is a no-op by a live read, since the copy may be stale', async () => {
    const server = fakeServer({ cachedGroup: true });
    await server.writes.change(ctx, 'g', { add: [{ value: 'u1' }] }, undefined);
    server.log.length = 0;
    await server.writes.change(ctx, 'g', { add: [{ value: 'u1' }] }, undefined);
    expect(server.log).toEqual([`get g-${shardOf('u1')}`, 'get group']);
  });

  it('undoes exactly its own shard change when the token cannot be set (the group was deleted)', async () => {
    const server = fakeServer({ cachedGroup: true });
    const [first, second] = sameShardPair();
    await server.writes.change(ctx, 'g', { add: [{ value: first }] }, undefined);
    server.failNextGroupPatch(notFound);
    await expect(server.writes.change(ctx, 'g', { add: [{ value: second }] }, undefined)).rejects.toMatchObject({
      status: 404,
    });
    expect(server.members()).toEqual([first]);
  });

  it('reads the group when this replica has not seen it, to learn its uid and check its connection', async () => {
    const server = fakeServer({ cachedGroup: false });
    await server.writes.change(ctx, 'g', { add: [{ value: 'u1' }] }, undefined);
    expect(server.log[0]).toBe('get group');
    await expect(
      server.writes.change({ connection: 'okta' }, 'g', { add: [{ value: 'u2' }] }, undefined),
    ).rejects.toMatchObject({
      status: 404,
    });
    expect(server.members()).toEqual(['u1']);
  });

  it('with If-Match, sets the token conditionally before any member moves', async () => {
    const server = fakeServer();
    const version = scimVersion('Group', server.group());
    await server.writes.change(ctx, 'g', { add: [{ value: 'u1' }] }, version);
    const shard = `g-${shardOf('u1')}`;
    expect(server.log).toEqual(['get group', 'patch group if unchanged', `write ${shard}`]);
  });

  it('with If-Match, retries past a status write (same SCIM version) and refuses a moved version with 412', async () => {
    const server = fakeServer();
    const version = scimVersion('Group', server.group());
    server.statusWriteBeforeNextPatch();
    const written = await server.writes.change(ctx, 'g', { add: [{ value: 'u1' }] }, version);
    expect(server.log.slice(0, 4)).toEqual([
      'get group',
      'patch group if unchanged',
      'get group',
      'patch group if unchanged',
    ]);
    expect(server.members()).toEqual(['u1']);

    await expect(server.writes.change(ctx, 'g', { remove: ['u1'] }, version)).rejects.toMatchObject({ status: 412 });
    expect(server.members()).toEqual(['u1']);
    expect(scimVersion('Group', server.group())).toBe(scimVersion('Group', written));
  });

  it('leaves the version alone when no member changes', async () => {
    const server = fakeServer({ cachedGroup: true });
    const added = await server.writes.change(ctx, 'g', { add: [{ value: 'u1' }] }, undefined);
    server.log.length = 0;
    const again = await server.writes.change(ctx, 'g', { add: [{ value: 'u1' }], remove: ['absent'] }, undefined);
    expect(scimVersion('Group', again)).toBe(scimVersion('Group', added));
    expect(server.log.filter((entry) => entry.startsWith('patch') || entry.startsWith('write'))).toEqual([]);
  });

  it('rewrites a legacy shard in the id-list layout on its next change, keeping every member and its type', async () => {
    const server = fakeServer({ cachedGroup: true });
    const [user, nested, untyped, added] = sameShard(4);
    server.legacyShard([{ value: user!, type: 'User' }, { value: nested!, type: 'Group' }, { value: untyped! }]);
    await server.writes.change(ctx, 'g', { add: [{ value: added!, type: 'User' }] }, undefined);
    const shard = `g-${shardOf(user!)}`;
    expect(server.log).toEqual([`write ${shard}`, 'patch group']);
    expect(server.shard(shard)?.spec).toEqual({
      group: 'g',
      shard: shardOf(user!),
      bits: 4,
      users: [user, untyped, added],
      groups: [nested],
    });
  });

  it('undoes a change of a legacy shard into the id-list layout without losing the member it had removed', async () => {
    const server = fakeServer({ cachedGroup: true });
    const [first, second] = sameShardPair();
    server.legacyShard([{ value: first }, { value: second, type: 'Group' }]);
    server.failNextGroupPatch(notFound);
    await expect(server.writes.change(ctx, 'g', { remove: [second] }, undefined)).rejects.toMatchObject({
      status: 404,
    });
    const shard = server.shard(`g-${shardOf(first)}`);
    expect(shard?.spec.members).toBeUndefined();
    expect(shardMembers(shard!.spec)).toEqual([
      { value: first, type: 'User' },
      { value: second, type: 'Group' },
    ]);
  });

  it('writes concurrent changes of one shard on one replica together: two shard writes for ten adds, no conflict', async () => {
    const server = fakeServer({ cachedGroup: true, startDepth: 0 });
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        server.writes.change(ctx, 'g', { add: [{ value: `m${i}`, type: 'User' }] }, undefined),
      ),
    );
    // The first add is written alone; the nine that arrived meanwhile are written in the next round.
    expect(server.log.filter((entry) => entry.startsWith('write'))).toEqual(['write g-0', 'write g-0']);
    expect(server.log.filter((entry) => entry.startsWith('get'))).toEqual([]);
    expect([...server.members()].sort()).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`).sort());
  });

  describe('shards that split as the group grows (docs/adr/0025)', () => {
    const ids = (n: number, prefix = 'm') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
    /** Every member once, each shard within the split size and unsealed, and each member where a walk finds it. */
    const expectConsistent = (server: ReturnType<typeof fakeServer>, expected: string[], start: number) => {
      expect([...server.members()].sort()).toEqual([...expected].sort());
      const shards = server.shards();
      const byNumber = new Map(shards.map((s) => [s.spec.shard, s]));
      for (const shard of shards) {
        expect(shard.spec.sealed, `${shard.metadata.name} sealed`).not.toBe(true);
        expect(shardMemberIds(shard.spec).length).toBeLessThanOrEqual(SPLIT_SHARD_AT);
      }
      for (const id of expected) {
        const placement = locate(memberHash(id), start, (n) => {
          const found = byNumber.get(n);
          return found && { depth: shardDepth(found.spec), sealed: false };
        });
        expect(placement && shardMemberIds(byNumber.get(placement.shard)!.spec)).toContain(id);
      }
    };

    it('keeps a new group in one shard until it fills, then splits it so that no shard passes the split size', async () => {
      const server = fakeServer({ cachedGroup: true, startDepth: 0 });
      const members = ids(2_600);
      for (let i = 0; i < 20; i++) {
        await server.writes.change(
          ctx,
          'g',
          { add: members.slice(i * 50, i * 50 + 50).map((value) => ({ value })) },
          undefined,
        );
      }
      expect(server.shards().map((s) => s.metadata.name)).toEqual(['g-0']);
      for (let i = 20; i < members.length / 50; i++) {
        await server.writes.change(
          ctx,
          'g',
          { add: members.slice(i * 50, i * 50 + 50).map((value) => ({ value })) },
          undefined,
        );
      }
      expect(server.shards().length).toBeGreaterThanOrEqual(3);
      expectConsistent(server, members, 0);
      // A member change after the splits writes one shard and the group.
      server.log.length = 0;
      await server.writes.change(ctx, 'g', { remove: ['m7'] }, undefined);
      expect(server.log).toHaveLength(2);
      expectConsistent(
        server,
        members.filter((m) => m !== 'm7'),
        0,
      );
    });

    it('finishes a split that another writer left sealed, and lands its own add, from a stale cached copy', async () => {
      const server = fakeServer({ cachedGroup: true, startDepth: 0 });
      const members = ids(SPLIT_SHARD_AT);
      const full = shardSpec(
        'g',
        0,
        members.map((value) => ({ value, type: 'User' })),
        0,
      );
      server.put(full);
      server.put({ ...full, sealed: true }, false);
      await server.writes.change(ctx, 'g', { add: [{ value: 'late' }] }, undefined);
      expectConsistent(server, [...members, 'late'], 0);
      expect(server.shards().map((s) => [s.metadata.name, s.spec.bits])).toEqual([
        ['g-0', 1],
        ['g-1', 1],
      ]);
    });

    it('finishes a split whose new half already exists, and creates nothing twice', async () => {
      const server = fakeServer({ cachedGroup: true, startDepth: 0 });
      const members = ids(SPLIT_SHARD_AT).map((value) => ({ value, type: 'User' as const }));
      server.put({ ...shardSpec('g', 0, members, 0), sealed: true });
      const { move, sibling } = splitMembers(0, 0, members);
      server.put(shardSpec('g', sibling, move, 1), false);
      await server.writes.change(ctx, 'g', { remove: ['m3'] }, undefined);
      expectConsistent(
        server,
        members.map((m) => m.value).filter((m) => m !== 'm3'),
        0,
      );
    });

    it('removes a member that a split elsewhere moved since this replica cached its shard, for good', async () => {
      const server = fakeServer({ cachedGroup: true, startDepth: 0 });
      const members = ids(600).map((value) => ({ value, type: 'User' as const }));
      server.put(shardSpec('g', 0, members, 0));
      const { stay, move, sibling } = splitMembers(0, 0, members);
      server.put(shardSpec('g', sibling, move, 1), false);
      server.put(shardSpec('g', 0, stay, 1), false);
      const leaving = move[0]!.value;
      await server.writes.change(ctx, 'g', { remove: [leaving] }, undefined);
      expectConsistent(
        server,
        members.map((m) => m.value).filter((m) => m !== leaving),
        0,
      );
    });

    it('undoes a failed change in the shards its members moved to', async () => {
      const server = fakeServer({ cachedGroup: true, startDepth: 0 });
      const members = ids(SPLIT_SHARD_AT).map((value) => ({ value, type: 'User' as const }));
      server.put(shardSpec('g', 0, members, 0));
      server.failNextGroupPatch(notFound);
      await expect(
        server.writes.change(ctx, 'g', { add: [{ value: 'x1' }, { value: 'x2' }] }, undefined),
      ).rejects.toMatchObject({ status: 404 });
      expectConsistent(
        server,
        members.map((m) => m.value),
        0,
      );
    });
  });
});
