import { describe, expect, it } from 'vitest';
import type { ScimGroupMembers, ScimGroupMembersSpec } from '../api/scim-group-members.ts';
import { MembershipIndex } from './membership-index.ts';

const withSpec = (spec: ScimGroupMembersSpec): ScimGroupMembers => ({
  apiVersion: 'scim-operator.dev/v1alpha1',
  kind: 'ScimGroupMembers',
  metadata: { name: `${spec.group}-${spec.shard}` },
  spec,
});

const shard = (group: string, n: number, members: string[]) =>
  withSpec({ group, shard: n, users: members, groups: [] });

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

  it('reads shards of either layout, legacy member objects and id lists alike', () => {
    const index = new MembershipIndex();
    index.upsert(withSpec({ group: 'g1', shard: 0, members: [{ value: 'a' }, { value: 'g2', type: 'Group' }] }));
    index.upsert(withSpec({ group: 'g1', shard: 1, users: ['b'], groups: ['g3'] }));
    expect(index.membersOf('g1').sort()).toEqual(['a', 'b', 'g2', 'g3']);
    // The legacy shard converted by its next write: the diff sees no change for the members it kept.
    const changes: string[][] = [];
    index.onChange((_group, members) => changes.push(members));
    index.upsert(withSpec({ group: 'g1', shard: 0, users: ['a', 'c'], groups: ['g2'] }));
    expect(changes).toEqual([['c']]);
    expect(index.groupsOf('a')).toEqual(['g1']);
  });
});
