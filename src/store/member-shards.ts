import { createHash } from 'node:crypto';
import { MAX_MEMBERS_PER_SHARD, MEMBER_SHARDS, type ScimGroupMembersSpec } from '../api/scim-group-members.ts';
import type { StoredMember } from '../scim/store.ts';

/** The shard that holds member `value`: a stable hash, so every replica agrees without coordination. */
export function shardOf(value: string): number {
  return createHash('sha256').update(value).digest().readUInt32BE(0) % MEMBER_SHARDS;
}

export function shardName(groupId: string, shard: number): string {
  return `${groupId}-${shard}`;
}

/**
 * The members a shard holds, typed, whichever layout it was written in: `users` and `groups` (docs/adr/0023), or the
 * legacy `members` objects, where an untyped member is a User (as src/scim/resource-document.ts renders it). The
 * only reader of the layout, with `shardMemberIds` and `shardSpec`; a shard holding both layouts (never written by
 * us) reads as their union, each id once.
 */
export function shardMembers(spec: ScimGroupMembersSpec): StoredMember[] {
  const sources = [
    (spec.users ?? []).map((value): StoredMember => ({ value, type: 'User' })),
    (spec.groups ?? []).map((value): StoredMember => ({ value, type: 'Group' })),
    (spec.members ?? []).map(({ value, type }): StoredMember => ({ value, type: type ?? 'User' })),
  ].filter((members) => members.length > 0);
  if (sources.length <= 1) return sources[0] ?? [];
  const seen = new Set<string>();
  return sources.flat().filter((m) => !seen.has(m.value) && seen.add(m.value));
}

/** The member ids of a shard, users and groups alike, without building a member object each (for indexes). */
export function shardMemberIds(spec: ScimGroupMembersSpec): string[] {
  const sources = [spec.users ?? [], spec.groups ?? [], (spec.members ?? []).map((m) => m.value)].filter(
    (ids) => ids.length > 0,
  );
  return sources.length <= 1 ? (sources[0] ?? []) : [...new Set(sources.flat())];
}

/** The spec of a shard holding `members`, in the current layout only: writing it converts a legacy shard. */
export function shardSpec(group: string, shard: number, members: StoredMember[]): ScimGroupMembersSpec {
  const users: string[] = [];
  const groups: string[] = [];
  for (const member of members) (member.type === 'Group' ? groups : users).push(member.value);
  return { group, shard, users, groups };
}

export interface ShardEdit {
  add: StoredMember[];
  remove: string[];
}

/** Splits a member change by shard; a member listed in both is removed first, then added (RFC replace). */
export function planShardEdits(add: StoredMember[], remove: string[]): Map<number, ShardEdit> {
  const edits = new Map<number, ShardEdit>();
  const edit = (shard: number) => {
    let e = edits.get(shard);
    if (!e) {
      e = { add: [], remove: [] };
      edits.set(shard, e);
    }
    return e;
  };
  for (const value of new Set(remove)) edit(shardOf(value)).remove.push(value);
  const seen = new Set<string>();
  for (const member of add) {
    if (seen.has(member.value)) continue;
    seen.add(member.value);
    edit(shardOf(member.value)).add.push(member);
  }
  return edits;
}

export interface AppliedEdit {
  members: StoredMember[];
  /** What actually changed, so that a failed request can undo exactly its own effect. */
  added: StoredMember[];
  removed: StoredMember[];
}

/** Applies one shard's edit to its member list; throws when the shard would exceed its capacity. */
export function applyShardEdit(current: StoredMember[], edit: ShardEdit): AppliedEdit {
  const removeSet = new Set(edit.remove);
  const removed = current.filter((m) => removeSet.has(m.value));
  const kept = removed.length ? current.filter((m) => !removeSet.has(m.value)) : current;
  const present = new Set(kept.map((m) => m.value));
  const added = edit.add.filter((m) => !present.has(m.value));
  const members = added.length ? [...kept, ...added] : kept;
  if (members.length > MAX_MEMBERS_PER_SHARD) {
    throw new RangeError(`group member shard would hold ${members.length} members (at most ${MAX_MEMBERS_PER_SHARD})`);
  }
  return { members, added, removed };
}
