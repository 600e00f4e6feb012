import type { ScimGroupMembers } from '../api/scim-group-members.ts';

/**
 * member id -> ids of the groups it is a direct member of, maintained from shard events. An update diffs only the
 * shard it concerns, so the cost of an event is bounded by the shard size, not by the group size.
 */
export class MembershipIndex {
  private readonly byShard = new Map<string, { group: string; members: Set<string> }>();
  private readonly byMember = new Map<string, Map<string, number>>();

  upsert(shard: ScimGroupMembers): void {
    const name = shard.metadata.name;
    const next = new Set(shard.spec.members.map((m) => m.value));
    const previous = this.byShard.get(name);
    const group = shard.spec.group;
    for (const member of previous?.members ?? []) if (!next.has(member)) this.unlink(member, previous!.group);
    for (const member of next) if (!previous?.members.has(member)) this.link(member, group);
    this.byShard.set(name, { group, members: next });
  }

  remove(shard: ScimGroupMembers): void {
    const previous = this.byShard.get(shard.metadata.name);
    if (!previous) return;
    for (const member of previous.members) this.unlink(member, previous.group);
    this.byShard.delete(shard.metadata.name);
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
