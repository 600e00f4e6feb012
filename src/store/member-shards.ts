import { createHash } from 'node:crypto';
import { annotations, labels } from '../api/labels.ts';
import { type ScimGroup, scimGroupKind } from '../api/scim-group.ts';
import {
  LEGACY_SHARD_DEPTH,
  MAX_MEMBERS_PER_SHARD,
  MAX_SHARD_DEPTH,
  type ScimGroupMembers,
  type ScimGroupMembersSpec,
  SPLIT_SHARD_AT,
} from '../api/scim-group-members.ts';
import type { StoredMember } from '../scim/store.ts';

/** A stable hash of a member id, so that every replica agrees where it lives without coordination. */
export function memberHash(value: string): number {
  return createHash('sha256').update(value).digest().readUInt32BE(0);
}

/** The shard at `depth` that would hold member `value`: its hash modulo 2^depth (16 shards at the legacy depth). */
export function shardOf(value: string, depth = LEGACY_SHARD_DEPTH): number {
  return memberHash(value) % 2 ** depth;
}

export function shardName(groupId: string, shard: number): string {
  return `${groupId}-${shard}`;
}

/** A new shard of `group` holding `spec`: labelled with the group and its connection, owned by the group. */
export function shardObject(
  group: ScimGroup,
  spec: ScimGroupMembersSpec,
): Omit<ScimGroupMembers, 'apiVersion' | 'kind'> {
  return {
    metadata: {
      name: shardName(group.metadata.name, spec.shard),
      labels: {
        [labels.group]: group.metadata.name,
        [labels.connection]: group.metadata.labels?.[labels.connection] ?? '',
        [labels.managedBy]: 'scim-operator',
      },
      ownerReferences: [
        {
          apiVersion: scimGroupKind.apiVersion,
          kind: scimGroupKind.kind,
          name: group.metadata.name,
          uid: group.metadata.uid ?? '',
        },
      ],
    },
    spec,
  };
}

/** The depth a shard is at: it holds the members whose hash modulo 2^depth is its number. */
export function shardDepth(spec: Pick<ScimGroupMembersSpec, 'bits'>): number {
  return spec.bits ?? LEGACY_SHARD_DEPTH;
}

/** The depth a group's shards start at: recorded on the group at creation, legacy (4) when absent. */
export function startDepth(group: { metadata: { annotations?: Record<string, string> } }): number {
  const recorded = Number(group.metadata.annotations?.[annotations.memberShardDepth]);
  return Number.isInteger(recorded) && recorded >= 0 && recorded <= MAX_SHARD_DEPTH ? recorded : LEGACY_SHARD_DEPTH;
}

/** What a walk needs to know of one shard; `undefined` when the shard does not exist. */
export interface ShardState {
  depth: number;
  sealed: boolean;
}

export interface Placement {
  shard: number;
  /** The depth the shard is expected at; a shard found at another depth means the view it was planned from is stale. */
  depth: number;
}

/**
 * Where the member with hash `hash` lives, in a group whose shards start at `start` (docs/adr/0025): shard
 * `hash mod 2^depth`, going one level deeper while the shard found there is deeper, and created at the start depth
 * when it does not exist there. A generator so that one walk serves a cached view (`locate`) and live reads alike:
 * it yields the shard it needs to know about and is sent its state. Returns `undefined` for a view no consistent
 * layout produces (a deeper shard missing, or shallower than its parent said): a stale view, to be read live.
 */
export function* walk(hash: number, start: number): Generator<number, Placement | undefined, ShardState | undefined> {
  for (let depth = start; ; depth++) {
    const shard = hash % 2 ** depth;
    const state = yield shard;
    if (!state) return depth === start ? { shard, depth } : undefined;
    if (state.depth === depth) return { shard, depth };
    if (state.depth < depth || depth >= MAX_SHARD_DEPTH) return undefined;
  }
}

/** `walk` over a view that answers at once (an informer's cache). */
export function locate(
  hash: number,
  start: number,
  state: (shard: number) => ShardState | undefined,
): Placement | undefined {
  const steps = walk(hash, start);
  let step = steps.next();
  while (!step.done) step = steps.next(state(step.value));
  return step.value;
}

/** `walk` over live reads. */
export async function locateLive(
  hash: number,
  start: number,
  state: (shard: number) => Promise<ShardState | undefined>,
): Promise<Placement | undefined> {
  const steps = walk(hash, start);
  let step = steps.next();
  while (!step.done) step = steps.next(await state(step.value));
  return step.value;
}

/** Whether a shard at `depth` holding `count` members after a change must split first. */
export function mustSplit(count: number, depth: number, splitAt = SPLIT_SHARD_AT): boolean {
  return count > splitAt && depth < MAX_SHARD_DEPTH;
}

/** The two halves of shard `shard` at `depth`: the members that stay, and those that move to `sibling`. */
export function splitMembers(
  shard: number,
  depth: number,
  members: StoredMember[],
): { stay: StoredMember[]; move: StoredMember[]; sibling: number } {
  const stay: StoredMember[] = [];
  const move: StoredMember[] = [];
  for (const member of members) (memberHash(member.value) % 2 ** (depth + 1) === shard ? stay : move).push(member);
  return { stay, move, sibling: shard + 2 ** depth };
}

/**
 * The shards a new group's members fill, from `start`: each shard split until it holds at most `SPLIT_SHARD_AT`
 * (both halves of a split exist, empty or not, as a walk expects). At the start depth only shards with members exist.
 */
export function layoutShards(
  members: StoredMember[],
  start: number,
  splitAt = SPLIT_SHARD_AT,
): Map<number, { depth: number; members: StoredMember[] }> {
  const out = new Map<number, { depth: number; members: StoredMember[] }>();
  const place = (shard: number, depth: number, held: StoredMember[]) => {
    if (!mustSplit(held.length, depth, splitAt)) {
      out.set(shard, { depth, members: held });
      return;
    }
    const { stay, move, sibling } = splitMembers(shard, depth, held);
    place(shard, depth + 1, stay);
    place(sibling, depth + 1, move);
  };
  const byShard = new Map<number, StoredMember[]>();
  const seen = new Set<string>();
  for (const member of members) {
    if (seen.has(member.value)) continue;
    seen.add(member.value);
    const shard = memberHash(member.value) % 2 ** start;
    const held = byShard.get(shard);
    if (held) held.push(member);
    else byShard.set(shard, [member]);
  }
  for (const [shard, held] of byShard) place(shard, start, held);
  return out;
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
  return sources.length <= 1 ? (sources[0] ?? []) : uniqueMembers(sources.flat());
}

/** `members` with each id once, the first listing kept. */
export function uniqueMembers(members: StoredMember[]): StoredMember[] {
  const seen = new Set<string>();
  return members.filter((m) => !seen.has(m.value) && seen.add(m.value));
}

/** The member ids of a shard, users and groups alike, without building a member object each (for indexes). */
export function shardMemberIds(spec: ScimGroupMembersSpec): string[] {
  const sources = [spec.users ?? [], spec.groups ?? [], (spec.members ?? []).map((m) => m.value)].filter(
    (ids) => ids.length > 0,
  );
  return sources.length <= 1 ? (sources[0] ?? []) : [...new Set(sources.flat())];
}

/**
 * The spec of a shard at `depth` holding `members`, in the current layout only: writing it converts a legacy shard.
 * Never sealed: a split seals a shard by its own write.
 */
export function shardSpec(
  group: string,
  shard: number,
  members: StoredMember[],
  depth = LEGACY_SHARD_DEPTH,
): ScimGroupMembersSpec {
  const users: string[] = [];
  const groups: string[] = [];
  for (const member of members) (member.type === 'Group' ? groups : users).push(member.value);
  return { group, shard, bits: depth, users, groups };
}

export interface ShardEdit {
  add: StoredMember[];
  remove: string[];
}

/** One shard's part of a member change, with the depth the plan expects the shard at. */
export interface PlannedEdit extends ShardEdit {
  depth: number;
}

/**
 * Splits a member change by shard, each member placed by `place` (legacy: `shardOf`, 16 shards); a member listed in
 * both is removed first, then added (RFC replace). Returns `undefined` when `place` cannot place a member (a stale
 * view).
 */
export function planShardEdits(
  add: StoredMember[],
  remove: string[],
  place: (value: string) => Placement | undefined = (value) => ({
    shard: shardOf(value),
    depth: LEGACY_SHARD_DEPTH,
  }),
): Map<number, PlannedEdit> | undefined {
  const edits = new Map<number, PlannedEdit>();
  const edit = (value: string) => {
    const placement = place(value);
    if (!placement) return undefined;
    let e = edits.get(placement.shard);
    if (!e) {
      e = { add: [], remove: [], depth: placement.depth };
      edits.set(placement.shard, e);
    }
    return e;
  };
  for (const value of new Set(remove)) {
    const e = edit(value);
    if (!e) return undefined;
    e.remove.push(value);
  }
  const seen = new Set<string>();
  for (const member of add) {
    if (seen.has(member.value)) continue;
    seen.add(member.value);
    const e = edit(member.value);
    if (!e) return undefined;
    e.add.push(member);
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
