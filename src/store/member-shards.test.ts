import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { annotations } from '../api/labels.ts';
import { MAX_MEMBERS_PER_SHARD, SPLIT_SHARD_AT, scimGroupMembersSpecSchema } from '../api/scim-group-members.ts';
import type { StoredMember } from '../scim/store.ts';
import {
  applyShardEdit,
  layoutShards,
  locate,
  memberHash,
  shardMemberIds,
  shardMembers,
  shardSpec,
  splitMembers,
  startDepth,
} from './member-shards.ts';

describe('the member shard layout', () => {
  it('reads the id lists as typed members, users first', () => {
    const spec = { group: 'g', shard: 3, users: ['u1', 'u2'], groups: ['g1'] };
    expect(shardMembers(spec)).toEqual([
      { value: 'u1', type: 'User' },
      { value: 'u2', type: 'User' },
      { value: 'g1', type: 'Group' },
    ]);
    expect(shardMemberIds(spec)).toEqual(['u1', 'u2', 'g1']);
  });

  it('reads a legacy members list in its order, an untyped member as a User', () => {
    const spec = { group: 'g', shard: 3, members: [{ value: 'u1' }, { value: 'g1', type: 'Group' as const }] };
    expect(shardMembers(spec)).toEqual([
      { value: 'u1', type: 'User' },
      { value: 'g1', type: 'Group' },
    ]);
    expect(shardMemberIds(spec)).toEqual(['u1', 'g1']);
  });

  it('reads a shard holding both layouts as their union, each id once', () => {
    const spec = {
      group: 'g',
      shard: 0,
      users: ['u1'],
      groups: [],
      members: [{ value: 'u1' }, { value: 'u2', type: 'User' as const }],
    };
    expect(shardMembers(spec)).toEqual([
      { value: 'u1', type: 'User' },
      { value: 'u2', type: 'User' },
    ]);
    expect(shardMemberIds(spec)).toEqual(['u1', 'u2']);
  });

  it('reads a shard with no members at all as empty', () => {
    expect(shardMembers({ group: 'g', shard: 0 })).toEqual([]);
    expect(shardMemberIds({ group: 'g', shard: 0, users: [], groups: [] })).toEqual([]);
  });

  it('writes only the id lists, an untyped member as a User, in a spec the CRD schema accepts', () => {
    const spec = shardSpec('g', 5, [{ value: 'u1' }, { value: 'g1', type: 'Group' }, { value: 'u2', type: 'User' }]);
    expect(spec).toEqual({ group: 'g', shard: 5, bits: 4, users: ['u1', 'u2'], groups: ['g1'] });
    expect(Object.keys(spec)).not.toContain('members');
    expect(scimGroupMembersSpecSchema.parse(spec)).toEqual(spec);
  });

  it('converts a legacy shard on rewrite without losing a member or its type', () => {
    const legacy = { group: 'g', shard: 1, members: [{ value: 'u1' }, { value: 'g1', type: 'Group' as const }] };
    const rewritten = shardSpec('g', 1, shardMembers(legacy));
    expect(rewritten).toEqual({ group: 'g', shard: 1, bits: 4, users: ['u1'], groups: ['g1'] });
  });

  it('round-trips typed members through shardSpec and shardMembers, users before groups', () => {
    const typedMembers = fc.uniqueArray(
      fc.record({
        value: fc.string({ minLength: 1, maxLength: 40 }),
        type: fc.constantFrom('User' as const, 'Group' as const),
      }),
      { selector: (m) => m.value, maxLength: 60 },
    );
    fc.assert(
      fc.property(typedMembers, (members: StoredMember[]) => {
        const read = shardMembers(shardSpec('g', 0, members));
        const byType = (type: string) => members.filter((m) => m.type === type);
        expect(read).toEqual([...byType('User'), ...byType('Group')]);
        expect(shardMemberIds(shardSpec('g', 0, members))).toEqual(read.map((m) => m.value));
      }),
    );
  });

  it('caps users and groups together at the shard capacity', () => {
    const half = MAX_MEMBERS_PER_SHARD / 2;
    const current = shardMembers({
      group: 'g',
      shard: 0,
      users: Array.from({ length: half }, (_, i) => `u${i}`),
      groups: Array.from({ length: half }, (_, i) => `g${i}`),
    });
    expect(() => applyShardEdit(current, { add: [{ value: 'one-more', type: 'Group' }], remove: [] })).toThrow(
      RangeError,
    );
    expect(applyShardEdit(current, { add: [{ value: 'one-more' }], remove: ['u0'] }).members).toHaveLength(
      MAX_MEMBERS_PER_SHARD,
    );
  });

  describe('shards that split (docs/adr/0025)', () => {
    const members = (n: number) => Array.from({ length: n }, (_, i) => ({ value: `id-${i}`, type: 'User' as const }));

    it('lays a group out in shards a walk finds every member in, none past the split size', () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 5_000 }), fc.constantFrom(0, 4), (n, start) => {
          const layout = layoutShards(members(n), start);
          const held = [...layout.values()].flatMap((s) => s.members.map((m) => m.value));
          expect(held.length).toBe(n);
          expect(new Set(held).size).toBe(n);
          for (const shard of layout.values()) expect(shard.members.length).toBeLessThanOrEqual(SPLIT_SHARD_AT);
          const state = (shard: number) => {
            const found = layout.get(shard);
            return found && { depth: found.depth, sealed: false };
          };
          for (const [shard, { depth, members: inShard }] of layout) {
            for (const member of inShard) {
              expect(memberHash(member.value) % 2 ** depth).toBe(shard);
              expect(locate(memberHash(member.value), start, state)).toEqual({ shard, depth });
            }
          }
        }),
        { numRuns: 30 },
      );
    });

    it('splits a shard into the members that stay and those whose next hash bit sends them to the new half', () => {
      const all = members(300);
      const { stay, move, sibling } = splitMembers(
        1,
        1,
        all.filter((m) => memberHash(m.value) % 2 === 1),
      );
      expect(sibling).toBe(3);
      for (const m of stay) expect(memberHash(m.value) % 4).toBe(1);
      for (const m of move) expect(memberHash(m.value) % 4).toBe(3);
      expect(stay.length + move.length).toBe(all.filter((m) => memberHash(m.value) % 2 === 1).length);
    });

    it('places a member of a group without shards in the start shard, and calls a view with a missing half stale', () => {
      const hash = 0b110;
      expect(locate(hash, 0, () => undefined)).toEqual({ shard: 0, depth: 0 });
      expect(locate(hash, 4, () => undefined)).toEqual({ shard: 6, depth: 4 });
      // Shard 0 is at depth 2, so hash 6 lives in shard 2 at depth 2; a view without shard 2 is stale.
      const view = new Map([[0, { depth: 2, sealed: false }]]);
      expect(locate(hash, 0, (s) => view.get(s))).toBeUndefined();
      view.set(2, { depth: 2, sealed: false });
      expect(locate(hash, 0, (s) => view.get(s))).toEqual({ shard: 2, depth: 2 });
    });

    it("reads a group's start depth from its annotation, and a group without one as the legacy 16 shards", () => {
      expect(startDepth({ metadata: { annotations: { [annotations.memberShardDepth]: '0' } } })).toBe(0);
      expect(startDepth({ metadata: {} })).toBe(4);
      expect(startDepth({ metadata: { annotations: { [annotations.memberShardDepth]: 'x' } } })).toBe(4);
    });
  });
});
