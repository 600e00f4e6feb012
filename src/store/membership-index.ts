import type { ScimGroupMembers } from '../api/scim-group-members.ts';

/**
 * member id -> ids of the groups it is a direct member of, maintained from shard events. An update diffs only the
 * shard it concerns, so the cost of an event is bounded by the shard size, not by the group size.
 */
export class MembershipIndex {
  private readonly byShard = new Map<string, { group: string; members: Set<string> }>();
  private readonly byMember = new Map<string, Map<string, number>>();
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
    const next = new Set(shard.spec.members.map((m) => m.value));
    const previous = this.byShard.get(name);
    const group = shard.spec.group;
    const changed: string[] = [];
    for (const member of previous?.members ?? []) {
      if (next.has(member)) continue;
      this.unlink(member, previous!.group);
      changed.push(member);
    }
    for (const member of next) {
      if (previous?.members.has(member)) continue;
      this.link(member, group);
      changed.push(member);
    }
    this.byShard.set(name, { group, members: next });
    this.emit(group, changed);
  }

  remove(shard: ScimGroupMembers): void {
    const previous = this.byShard.get(shard.metadata.name);
    if (!previous) return;
    for (const member of previous.members) this.unlink(member, previous.group);
    this.byShard.delete(shard.metadata.name);
    this.emit(previous.group, [...previous.members]);
  }

  groupsOf(member: string): string[] {
    return [...(this.byMember.get(member)?.keys() ?? [])];
  }

  /** Members of a group as the cache sees them (eventually consistent; for controllers). */
  membersOf(group: string): string[] {
    const out: string[] = [];
    for (const entry of this.byShard.values()) if (entry.group === group) out.push(...entry.members);
    return out;
  }

  // A member could appear in two shards of one group only transiently; counting keeps the link until both go.
  private link(member: string, group: string): void {
    let groups = this.byMember.get(member);
    if (!groups) {
      groups = new Map();
      this.byMember.set(member, groups);
    }
    groups.set(group, (groups.get(group) ?? 0) + 1);
  }

  private unlink(member: string, group: string): void {
    const groups = this.byMember.get(member);
    const count = groups?.get(group);
    if (!groups || count === undefined) return;
    if (count > 1) groups.set(group, count - 1);
    else groups.delete(group);
    if (groups.size === 0) this.byMember.delete(member);
  }
}
