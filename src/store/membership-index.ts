import type { ScimGroupMembers } from '../api/scim-group-members.ts';
import { shardMemberIds } from './member-shards.ts';

/**
 * member id -> ids of the groups it is a direct member of, maintained from shard events. An update diffs only the
 * shard it concerns, so the cost of an event is bounded by the shard size, not by the group size.
 *
 * Sized for 100,000 members in ~6 groups each: a member's groups are one string, or an array once there are two
 * (not a Map per member, several times larger), and a group's shards are indexed so that `membersOf` reads only
 * them.
 */
export class MembershipIndex {
  private readonly byShard = new Map<string, { group: string; members: Set<string> }>();
  private readonly shardsOfGroup = new Map<string, Set<string>>();
  /** A group appears once per shard of it that lists the member: twice only transiently (see `link`). */
  private readonly byMember = new Map<string, string | string[]>();
  private readonly listeners: ((group: string, changedMembers: string[]) => void)[] = [];

  /** Called after each shard event with the members whose membership in `group` may have changed. */
  onChange(listener: (group: string, changedMembers: string[]) => void): void {
    this.listeners.push(listener);
  }

  private emit(group: string, changed: string[]): void {
    for (const listener of this.listeners) listener(group, changed);
  }

  upsert(shard: ScimGroupMembers): void {
    const name = shard.metadata.name;
    const next = new Set(shardMemberIds(shard.spec));
    const previous = this.byShard.get(name);
    const group = shard.spec.group;
    const changed: string[] = [];
    for (const member of previous?.members ?? []) {
      if (next.has(member) && previous!.group === group) continue;
      this.unlink(member, previous!.group);
      changed.push(member);
    }
    for (const member of next) {
      if (previous?.members.has(member) && previous.group === group) continue;
      this.link(member, group);
      changed.push(member);
    }
    if (previous && previous.group !== group) this.shardsOfGroup.get(previous.group)?.delete(name);
    this.byShard.set(name, { group, members: next });
    let shards = this.shardsOfGroup.get(group);
    if (!shards) {
      shards = new Set();
      this.shardsOfGroup.set(group, shards);
    }
    shards.add(name);
    this.emit(group, changed);
  }

  remove(shard: ScimGroupMembers): void {
    const name = shard.metadata.name;
    const previous = this.byShard.get(name);
    if (!previous) return;
    for (const member of previous.members) this.unlink(member, previous.group);
    this.byShard.delete(name);
    const shards = this.shardsOfGroup.get(previous.group);
    shards?.delete(name);
    if (shards?.size === 0) this.shardsOfGroup.delete(previous.group);
    this.emit(previous.group, [...previous.members]);
  }

  groupsOf(member: string): string[] {
    const groups = this.byMember.get(member);
    if (groups === undefined) return [];
    return typeof groups === 'string' ? [groups] : [...new Set(groups)];
  }

  /** Members of a group as the cache sees them (eventually consistent; for controllers). */
  membersOf(group: string): string[] {
    const out: string[] = [];
    for (const name of this.shardsOfGroup.get(group) ?? []) {
      const entry = this.byShard.get(name);
      if (entry) out.push(...entry.members);
    }
    return out;
  }

  // A member could appear in two shards of one group only transiently; the group is listed once per shard, so the
  // link stays until both have gone.
  private link(member: string, group: string): void {
    const groups = this.byMember.get(member);
    if (groups === undefined) this.byMember.set(member, group);
    else if (typeof groups === 'string') this.byMember.set(member, [groups, group]);
    else groups.push(group);
  }

  private unlink(member: string, group: string): void {
    const groups = this.byMember.get(member);
    if (groups === undefined) return;
    if (typeof groups === 'string') {
      if (groups === group) this.byMember.delete(member);
      return;
    }
    const at = groups.indexOf(group);
    if (at < 0) return;
    groups.splice(at, 1);
    if (groups.length === 1) this.byMember.set(member, groups[0]!);
  }
}
