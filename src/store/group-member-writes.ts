import { annotations, labels } from '../api/labels.ts';
import type { ScimGroup } from '../api/scim-group.ts';
import type { ScimGroupMembers } from '../api/scim-group-members.ts';
import { invalidValue, notFound, preconditionFailed, unavailable } from '../scim/errors.ts';
import type { MemberChange, StoreContext } from '../scim/store.ts';
import { isAlreadyExists, isConflict, isNotFound } from './api-errors.ts';
import { pause, retryConflicts } from './conflict-retry.ts';
import type { ResourceClient } from './kube-client.ts';
import {
  type AppliedEdit,
  applyShardEdit,
  layoutShards,
  locate,
  locateLive,
  memberHash,
  mustSplit,
  type Placement,
  type PlannedEdit,
  planShardEdits,
  type ShardEdit,
  type ShardState,
  shardDepth,
  shardMemberIds,
  shardMembers,
  shardName,
  shardObject,
  shardSpec,
  splitMembers,
  startDepth,
} from './member-shards.ts';
import { MEMBERS_VERSION_ANNOTATION, newMembersToken, scimVersion } from './scim-version.ts';
import type { StoreCache } from './store-cache.ts';

export interface GroupMemberWritesDeps {
  groups: Pick<ResourceClient<ScimGroup>, 'mergePatch'>;
  shards: Pick<ResourceClient<ScimGroupMembers>, 'get' | 'replace' | 'create' | 'list'>;
  cache: Pick<StoreCache, 'get' | 'expect' | 'shard' | 'expectShard'>;
  clock: () => Date;
  /** When a write started now must stop retrying lost races (epoch ms). */
  deadline: () => number;
  /** A live read of the group, undefined when absent or of another connection. */
  readOwned: (ctx: StoreContext, groupId: string) => Promise<ScimGroup | undefined>;
  onUnexpectedError: (err: unknown, operation: string) => void;
  /** How many ids a shard holds before it splits; `SPLIT_SHARD_AT` unless a test wants splits sooner. */
  splitAt?: number;
  /** Waits between retries; a timer unless a test orders the waits itself. */
  sleep?: (ms: number) => Promise<void>;
}

type AppliedShard = { shard: number; edit: AppliedEdit };

/** A shard written from a copy that no longer exists: retried from a live read. */
const shardChanged = new Error('the member shard changed since it was read');

/**
 * Member changes of a group: read-modify-write of the member shards it touches (rule 7), and a new members token on
 * the group so that its SCIM version moves (rule 4, src/store/scim-version.ts).
 *
 * Without If-Match (what IdPs send) nothing is conditioned on the group: the shards are changed first, then the
 * token is set by an unconditional merge patch, so concurrent member changes, on any replica, never conflict on the
 * group and the version moves only after the members it stands for have landed. With If-Match the token is set
 * first, by a patch conditioned on the resourceVersion whose SCIM version was checked, so If-Match is decided
 * atomically before any member moves.
 */
export class GroupMemberWrites {
  private readonly deps: GroupMemberWritesDeps;
  /** Per shard name: the edits of the round being written, then those waiting for the next (`editShard`). */
  private readonly queues = new Map<string, QueuedEdit[]>();

  constructor(deps: GroupMemberWritesDeps) {
    this.deps = deps;
  }

  /** `created`: the group was created by this request, so it needs no read and its shards do not exist yet. */
  async change(
    ctx: StoreContext,
    groupId: string,
    change: MemberChange,
    ifMatch: string | undefined,
    created?: ScimGroup,
  ): Promise<ScimGroup> {
    const deadline = this.deps.deadline();
    if (ifMatch !== undefined) {
      const group = await this.claimVersion(ctx, groupId, ifMatch, deadline);
      await this.applyToShards(group, change, deadline, false);
      return group;
    }
    const owner = created ?? (await this.ownedGroup(ctx, groupId));
    const applied = await this.applyToShards(owner, change, deadline, created !== undefined);
    if (!applied.some(({ edit }) => edit.added.length > 0 || edit.removed.length > 0)) {
      return created ?? (await this.mustRead(ctx, groupId));
    }
    try {
      return await this.setMembersToken(groupId, {});
    } catch (err) {
      await this.undo(owner, applied);
      if (isNotFound(err)) throw notFound(`Group ${groupId} not found`);
      throw err;
    }
  }

  /**
   * The group's identity (uid for owner references, connection for isolation) from this replica's cache when it has
   * seen the group: both are fixed for the life of an object and ids are never reused, so a cached copy is as good
   * as a live read here, and saves one. A group deleted meanwhile fails at `setMembersToken`, which undoes the edit.
   */
  private async ownedGroup(ctx: StoreContext, groupId: string): Promise<ScimGroup> {
    const cached = this.deps.cache.get('Group', groupId) as ScimGroup | undefined;
    if (cached?.metadata.uid && cached.metadata.labels?.[labels.connection] === ctx.connection) return cached;
    return this.mustRead(ctx, groupId);
  }

  private async mustRead(ctx: StoreContext, groupId: string): Promise<ScimGroup> {
    const group = await this.deps.readOwned(ctx, groupId);
    if (!group) throw notFound(`Group ${groupId} not found`);
    return group;
  }

  /**
   * Checks If-Match against the SCIM version and sets a new members token in one conditional write. A conflict
   * caused by a write that left the SCIM version alone (status, finalizer, labels) is retried; a moved version is 412.
   */
  private claimVersion(ctx: StoreContext, groupId: string, ifMatch: string, deadline: number): Promise<ScimGroup> {
    return retryConflicts(
      async () => {
        const current = await this.mustRead(ctx, groupId);
        if (scimVersion('Group', current) !== ifMatch) {
          throw preconditionFailed(`Group ${groupId} has changed: its version is no longer ${ifMatch}`);
        }
        return this.setMembersToken(groupId, { resourceVersion: current.metadata.resourceVersion });
      },
      { deadline, retryable: isConflict, subject: `Group ${groupId}`, sleep: this.deps.sleep },
    );
  }

  private async setMembersToken(groupId: string, precondition: { resourceVersion?: string }): Promise<ScimGroup> {
    const group = await this.deps.groups.mergePatch(groupId, {
      metadata: {
        ...precondition,
        annotations: {
          [MEMBERS_VERSION_ANNOTATION]: newMembersToken(),
          [annotations.lastModified]: this.deps.clock().toISOString(),
        },
      },
    });
    this.deps.cache.expect('Group', group);
    return group;
  }

  /**
   * Shards are independent objects: they are written concurrently, and a failure undoes the ones that landed. Each
   * member is placed by a walk over this replica's cached shards (docs/adr/0025); the members of a shard that split
   * or was seen stale are placed again from live reads, as often as the deadline allows.
   */
  private async applyToShards(
    group: ScimGroup,
    change: MemberChange,
    deadline: number,
    absent: boolean,
  ): Promise<AppliedShard[]> {
    const remove = change.remove === 'all' ? await this.allMemberIds(group.metadata.name) : (change.remove ?? []);
    const applied: AppliedShard[] = [];
    try {
      await this.writeEdits(group, { add: change.add ?? [], remove }, deadline, applied, absent);
      return applied;
    } catch (err) {
      await this.undo(group, applied);
      if (err instanceof RangeError) {
        throw invalidValue(`Group ${group.metadata.name} cannot hold more members: ${err.message}`);
      }
      throw err;
    }
  }

  /** Writes `change` into the shards, appending what landed to `applied` (also when it throws). */
  private async writeEdits(
    group: ScimGroup,
    change: ShardEdit,
    deadline: number,
    applied: AppliedShard[],
    absent = false,
  ): Promise<void> {
    const start = startDepth(group);
    if (absent) {
      // A group this request created: no shard exists, and its members are laid out at once.
      const layout = layoutShards(change.add, start, this.deps.splitAt);
      const planned = new Map(
        [...layout].map(([shard, { depth, members }]) => [shard, { add: members, remove: [], depth }]),
      );
      await this.settle(group, planned, deadline, applied, true);
      return;
    }
    const cached = (shard: number) => shardState(this.deps.cache.shard(shardName(group.metadata.name, shard)));
    let pending = change;
    let edits = planShardEdits(pending.add, pending.remove, (value) => locate(memberHash(value), start, cached));
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0 && Date.now() + 20 >= deadline) {
        throw unavailable(`Group ${group.metadata.name} is being changed concurrently; retry`, 1);
      }
      if (edits) {
        const moved = await this.settle(group, edits, deadline, applied, false);
        if (moved.length === 0) return;
        pending = { add: moved.flatMap((e) => e.add), remove: moved.flatMap((e) => e.remove) };
      } else if (attempt > 0) {
        // Inconsistent even read live: shards deleted with their group, or split under the walk. Give it a moment.
        await (this.deps.sleep ?? pause)(20);
      }
      edits = await this.planLive(group, start, pending);
    }
  }

  /** Places every member of `change` by walking live reads, each shard read once. */
  private async planLive(
    group: ScimGroup,
    start: number,
    change: ShardEdit,
  ): Promise<Map<number, PlannedEdit> | undefined> {
    const reads = new Map<number, Promise<ShardState | undefined>>();
    const read = (shard: number) => {
      let state = reads.get(shard);
      if (!state) {
        state = this.readShard(shardName(group.metadata.name, shard)).then(shardState);
        reads.set(shard, state);
      }
      return state;
    };
    const placements = new Map<string, Placement | undefined>();
    const values = new Set([...change.remove, ...change.add.map((m) => m.value)]);
    await Promise.all(
      [...values].map(async (value) => placements.set(value, await locateLive(memberHash(value), start, read))),
    );
    return planShardEdits(change.add, change.remove, (value) => placements.get(value));
  }

  /**
   * Runs the planned shard writes concurrently; appends what landed to `applied` and returns the edits whose shard
   * split or was seen at another depth, to be placed again. Throws the first other failure once all have settled.
   */
  private async settle(
    group: ScimGroup,
    edits: Map<number, PlannedEdit>,
    deadline: number,
    applied: AppliedShard[],
    absent: boolean,
  ): Promise<ShardEdit[]> {
    const settled = await Promise.allSettled(
      [...edits].map(async ([shard, edit]) => ({
        shard,
        edit: await this.editShard(group, shard, edit, deadline, absent),
      })),
    );
    const moved: ShardEdit[] = [];
    let failure: { reason: unknown } | undefined;
    for (const result of settled) {
      if (result.status === 'fulfilled') applied.push(result.value);
      else if (result.reason instanceof PlacementMoved) moved.push(result.reason.edit);
      else failure ??= { reason: result.reason };
    }
    if (failure) throw failure.reason;
    return moved;
  }

  private async allMemberIds(groupId: string): Promise<string[]> {
    const shards = await this.deps.shards.list(`${labels.group}=${groupId}`);
    return [...new Set(shards.flatMap((s) => shardMemberIds(s.spec)))];
  }

  /**
   * One shard's part of a member change. Changes of one shard on this replica are written together: an edit that
   * arrives while a write of its shard is in flight waits for it and joins the next write, with every other edit
   * that arrived meanwhile (group commit). Concurrent changes of a small group, which lives in one shard (ADR 0025),
   * then cost one write per round instead of a conflict and a retry each.
   */
  private editShard(
    group: ScimGroup,
    shard: number,
    edit: PlannedEdit,
    deadline: number,
    absent = false,
  ): Promise<AppliedEdit> {
    if (absent)
      return this.writeShard(group, shard, [edit], deadline, true).then(([outcome]) => appliedOrThrow(outcome!));
    const name = shardName(group.metadata.name, shard);
    return new Promise((resolve, reject) => {
      let queue = this.queues.get(name);
      if (!queue) {
        queue = [];
        this.queues.set(name, queue);
      }
      queue.push({ edit, deadline, resolve, reject });
      // The first edit of a round starts the round, synchronously up to its first request.
      if (queue.length === 1) void this.drain(group, shard, name, queue);
    });
  }

  private async drain(group: ScimGroup, shard: number, name: string, queue: QueuedEdit[]): Promise<void> {
    while (queue.length > 0) {
      const round = queue.slice();
      try {
        const outcomes = await this.writeShard(
          group,
          shard,
          round.map((q) => q.edit),
          Math.max(...round.map((q) => q.deadline)),
        );
        round.forEach((q, i) => {
          const outcome = outcomes[i]!;
          if (outcome instanceof Error) q.reject(outcome);
          else q.resolve(outcome);
        });
      } catch (err) {
        for (const q of round) q.reject(err);
      }
      queue.splice(0, round.length);
    }
    this.queues.delete(name);
  }

  /**
   * Read-modify-write of one shard under optimistic concurrency, applying `edits` in order; creates the shard on
   * first use. The first attempt starts from the newest copy this replica has (its informer's, or its own last
   * write's) and reads nothing: the write is conditioned on that copy's resourceVersion, so a stale copy costs a
   * conflict, and the next attempt reads the shard live. When the cache is current, a change of one shard is one
   * request.
   *
   * Each edit's outcome is what it changed, or an error of its own: `PlacementMoved` when the shard is sealed, at
   * another depth than planned, or missing below the group's start depth (the members are placed again, after
   * finishing a split that is under way), and a `RangeError` when it would take the shard past its capacity. An add
   * that would take the shard past `SPLIT_SHARD_AT` splits it first, then hands every edit back.
   */
  private writeShard(
    group: ScimGroup,
    shard: number,
    edits: PlannedEdit[],
    deadline: number,
    absent = false,
  ): Promise<Array<AppliedEdit | Error>> {
    const name = shardName(group.metadata.name, shard);
    const start = startDepth(group);
    const misplaced = (copy: ScimGroupMembers | undefined, edit: PlannedEdit) =>
      !absent && (copy ? copy.spec.sealed === true || shardDepth(copy.spec) !== edit.depth : edit.depth !== start);
    return retryConflicts(
      async (attempt) => {
        let current = attempt === 0 ? (absent ? undefined : this.deps.cache.shard(name)) : await this.readShard(name);
        // A cached copy may be the stale one: only a live read decides that an edit is misplaced or changes nothing.
        let outcome = applyInOrder(current, edits, misplaced);
        if (attempt === 0 && !absent && (outcome.misplaced || !outcome.changed)) {
          current = await this.readShard(name);
          outcome = applyInOrder(current, edits, misplaced);
        }
        if (current?.spec.sealed) {
          await this.split(group, current);
          return edits.map((edit) => new PlacementMoved(edit));
        }
        // A new group's layout creates both halves of a split, an empty one too: a walk expects it.
        if (!outcome.changed && !absent) return outcome.results;
        const depth = current ? shardDepth(current.spec) : (edits[0]?.depth ?? start);
        if (current && outcome.added && mustSplit(outcome.members.length, depth, this.deps.splitAt)) {
          await this.split(group, current);
          return edits.map((edit) => new PlacementMoved(edit));
        }
        if (current) {
          try {
            // A full update in the current layout drops a legacy `members` list: this is how a shard migrates
            // (docs/adr/0023).
            await this.replaceShard(current, shardSpec(group.metadata.name, shard, outcome.members, depth));
            return outcome.results;
          } catch (err) {
            // Gone since the copy was taken (its group deleted): start again from a live read.
            if (isNotFound(err)) throw shardChanged;
            throw err;
          }
        }
        const created = await this.deps.shards.create(
          shardObject(group, shardSpec(group.metadata.name, shard, outcome.members, depth)),
        );
        this.deps.cache.expectShard(created);
        return outcome.results;
      },
      {
        deadline,
        retryable: (err) => err === shardChanged || isConflict(err) || isAlreadyExists(err),
        subject: `Group ${group.metadata.name}`,
        sleep: this.deps.sleep,
      },
    );
  }

  /**
   * Splits shard `copy` in two one level deeper (docs/adr/0025), in three writes that anyone may repeat: seal it, so
   * that no member change writes it any more; create its new half from the sealed members; rewrite it unsealed
   * without them. Finishes a split another writer began. A conflict on the seal means the shard changed since
   * `copy`: the caller's retry reads it again.
   */
  private async split(group: ScimGroup, copy: ScimGroupMembers): Promise<void> {
    const depth = shardDepth(copy.spec);
    const shard = copy.spec.shard;
    let sealed = copy;
    if (copy.spec.sealed) this.deps.cache.expectShard(copy);
    else sealed = await this.replaceShard(copy, { ...copy.spec, sealed: true });
    const { stay, move, sibling } = splitMembers(shard, depth, shardMembers(sealed.spec));
    try {
      const created = await this.deps.shards.create(
        shardObject(group, shardSpec(group.metadata.name, sibling, move, depth + 1)),
      );
      this.deps.cache.expectShard(created);
    } catch (err) {
      // Created by another writer finishing this split, from the same sealed members.
      if (!isAlreadyExists(err)) throw err;
    }
    try {
      await this.replaceShard(sealed, shardSpec(group.metadata.name, shard, stay, depth + 1));
    } catch (err) {
      // Rewritten by another writer finishing this split.
      if (!isConflict(err)) throw err;
    }
  }

  /**
   * A full update of shard `copy` with `spec`, conditioned on the copy's resourceVersion; this replica's cache keeps
   * the answer. `managedFields: [{}]` clears field ownership: kept, it lists every member key again (~100 bytes
   * each), more than doubling the shard and the API server's work per write.
   */
  private async replaceShard(copy: ScimGroupMembers, spec: ScimGroupMembers['spec']): Promise<ScimGroupMembers> {
    const written = await this.deps.shards.replace({
      ...copy,
      metadata: { ...copy.metadata, managedFields: [{}] } as ScimGroupMembers['metadata'],
      spec,
    });
    this.deps.cache.expectShard(written);
    return written;
  }

  private async readShard(name: string): Promise<ScimGroupMembers | undefined> {
    try {
      return await this.deps.shards.get(name);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /**
   * Best-effort compensation: reverses exactly what this request changed, so a failure leaves no half-change. The
   * members are placed again, since a split may have moved them since.
   */
  private async undo(group: ScimGroup, applied: AppliedShard[]): Promise<void> {
    if (applied.length === 0) return;
    const inverse = {
      add: applied.flatMap(({ edit }) => edit.removed),
      remove: applied.flatMap(({ edit }) => edit.added.map((m) => m.value)),
    };
    await this.writeEdits(group, inverse, this.deps.deadline(), []).catch((err) =>
      this.deps.onUnexpectedError(err, 'undo member change'),
    );
  }
}

/** The members of an edit are no longer where it was planned: the shard split, or the plan's view was stale. */
class PlacementMoved extends Error {
  readonly edit: ShardEdit;
  constructor(edit: ShardEdit) {
    super('the member shard split or moved since the change was planned');
    this.edit = edit;
  }
}

interface QueuedEdit {
  edit: PlannedEdit;
  deadline: number;
  resolve: (applied: AppliedEdit) => void;
  reject: (err: unknown) => void;
}

function appliedOrThrow(outcome: AppliedEdit | Error): AppliedEdit {
  if (outcome instanceof Error) throw outcome;
  return outcome;
}

/**
 * `edits` applied one after another to the shard `current` holds: each edit's outcome (what it changed, or why it
 * was not applied), the members after them all, and whether anything changed or any edit was misplaced.
 */
function applyInOrder(
  current: ScimGroupMembers | undefined,
  edits: PlannedEdit[],
  misplaced: (copy: ScimGroupMembers | undefined, edit: PlannedEdit) => boolean,
) {
  let members = current ? shardMembers(current.spec) : [];
  let changed = false;
  let added = false;
  let anyMisplaced = false;
  const results = edits.map((edit): AppliedEdit | Error => {
    if (misplaced(current, edit)) {
      anyMisplaced = true;
      return new PlacementMoved(edit);
    }
    try {
      const result = applyShardEdit(members, edit);
      members = result.members;
      changed ||= result.added.length > 0 || result.removed.length > 0;
      added ||= result.added.length > 0;
      return result;
    } catch (err) {
      if (err instanceof RangeError) return err;
      throw err;
    }
  });
  return { results, members, changed, added, misplaced: anyMisplaced };
}

function shardState(shard: ScimGroupMembers | undefined): ShardState | undefined {
  return shard && { depth: shardDepth(shard.spec), sealed: shard.spec.sealed === true };
}
