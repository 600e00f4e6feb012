import { describe, expect, it } from 'vitest';
import type { ScimGroupMembers } from '../api/scim-group-members.ts';
import { MembershipIndex } from './membership-index.ts';

const shard = (group: string, n: number, members: string[]): ScimGroupMembers =>
  ({
    metadata: { name: `${group}-${n}` },
    spec: { group, shard: n, members: members.map((value) => ({ value, type: 'User' })) },
  }) as ScimGroupMembers;

describe('MembershipIndex', () => {
  it('answers the groups of a member and the members of a group across shards', () => {
    const index = new MembershipIndex();
    index.upsert(shard('g1', 0, ['a', 'b']));
    index.upsert(shard('g1', 1, ['c']));
    index.upsert(shard('g2', 0, ['a']));
    expect(index.groupsOf('a').sort()).toEqual(['g1', 'g2']);
    expect(index.groupsOf('c')).toEqual(['g1']);
    expect(index.groupsOf('nobody')).toEqual([]);
    expect(index.membersOf('g1').sort()).toEqual(['a', 'b', 'c']);
    expect(index.membersOf('g3')).toEqual([]);
  });

  it('reports exactly the members an update or a removal changed', () => {
    const index = new MembershipIndex();
    const changes: Array<[string, string[]]> = [];
    index.onChange((group, members) => changes.push([group, [...members].sort()]));
    index.upsert(shard('g1', 0, ['a', 'b']));
    index.upsert(shard('g1', 0, ['b', 'c']));
    index.remove(shard('g1', 0, []));
    expect(changes).toEqual([
      ['g1', ['a', 'b']],
      ['g1', ['a', 'c']],
      ['g1', ['b', 'c']],
    ]);
    expect(index.groupsOf('b')).toEqual([]);
    expect(index.membersOf('g1')).toEqual([]);
  });

  it('keeps a member in a group while any shard of it still lists the member', () => {
    const index = new MembershipIndex();
    index.upsert(shard('g1', 0, ['a']));
    index.upsert(shard('g1', 1, ['a']));
    index.upsert(shard('g2', 0, ['a']));
    expect(index.groupsOf('a').sort()).toEqual(['g1', 'g2']);
    index.upsert(shard('g1', 0, []));
    expect(index.groupsOf('a').sort()).toEqual(['g1', 'g2']);
    index.remove(shard('g1', 1, []));
    expect(index.groupsOf('a')).toEqual(['g2']);
    index.remove(shard('g2', 0, []));
    expect(index.groupsOf('a')).toEqual([]);
  });
});
