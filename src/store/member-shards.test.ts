import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_MEMBERS_PER_SHARD, scimGroupMembersSpecSchema } from '../api/scim-group-members.ts';
import type { StoredMember } from '../scim/store.ts';
import { applyShardEdit, shardMemberIds, shardMembers, shardSpec } from './member-shards.ts';

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
    expect(spec).toEqual({ group: 'g', shard: 5, users: ['u1', 'u2'], groups: ['g1'] });
    expect(Object.keys(spec)).not.toContain('members');
    expect(scimGroupMembersSpecSchema.parse(spec)).toEqual(spec);
  });

  it('converts a legacy shard on rewrite without losing a member or its type', () => {
    const legacy = { group: 'g', shard: 1, members: [{ value: 'u1' }, { value: 'g1', type: 'Group' as const }] };
    const rewritten = shardSpec('g', 1, shardMembers(legacy));
    expect(rewritten).toEqual({ group: 'g', shard: 1, users: ['u1'], groups: ['g1'] });
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
});
