import { annotations, labels } from '../api/labels.ts';
import { type ScimGroup, scimGroupKind } from '../api/scim-group.ts';
import type { ScimGroupMembers } from '../api/scim-group-members.ts';
import { invalidValue, notFound, preconditionFailed } from '../scim/errors.ts';
import type { MemberChange, StoreContext } from '../scim/store.ts';
import { isAlreadyExists, isConflict, isNotFound } from './api-errors.ts';
import { retryConflicts } from './conflict-retry.ts';
import type { ResourceClient } from './kube-client.ts';
import {
  type AppliedEdit,
  applyShardEdit,
  planShardEdits,
  type ShardEdit,
  shardMemberIds,
  shardMembers,
  shardName,
  shardSpec,
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
      { deadline, retryable: isConflict, subject: `Group ${groupId}` },
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

  /** Shards are independent objects: they are written concurrently, and a failure undoes the ones that landed. */
  private async applyToShards(
    group: ScimGroup,
    change: MemberChange,
    deadline: number,
    absent: boolean,
  ): Promise<AppliedShard[]> {
    const remove = change.remove === 'all' ? await this.allMemberIds(group.metadata.name) : (change.remove ?? []);
    const edits = planShardEdits(change.add ?? [], remove);
    const settled = await Promise.allSettled(
      [...edits].map(async ([shard, edit]) => ({
        shard,
        edit: await this.editShard(group, shard, edit, deadline, absent),
      })),
    );
    const applied = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      const err: unknown = failed.reason;
      await this.undo(group, applied);
      if (err instanceof RangeError) {
        throw invalidValue(`Group ${group.metadata.name} cannot hold more members: ${err.message}`);
      }
      throw err;
    }
    return applied;
  }

  private async allMemberIds(groupId: string): Promise<string[]> {
    const shards = await this.deps.shards.list(`${labels.group}=${groupId}`);
    return shards.flatMap((s) => shardMemberIds(s.spec));
  }

  /**
   * Read-modify-write of one shard under optimistic concurrency; creates the shard on first use. The first attempt
   * starts from the newest copy this replica has (its informer's, or its own last write's) and reads nothing: the
   * write is conditioned on that copy's resourceVersion, so a stale copy costs a conflict, and the next attempt
   * reads the shard live. When the cache is current, a change of one shard is one request.
   */
  private editShard(
    group: ScimGroup,
    shard: number,
    edit: ShardEdit,
    deadline: number,
    absent = false,
  ): Promise<AppliedEdit> {
    const name = shardName(group.metadata.name, shard);
    return retryConflicts(
      async (attempt) => {
        let current = attempt === 0 ? (absent ? undefined : this.deps.cache.shard(name)) : await this.readShard(name);
        let result = applyShardEdit(current ? shardMembers(current.spec) : [], edit);
        if (result.added.length === 0 && result.removed.length === 0) {
          // Nothing to do by this copy; only a live read can tell that the shard has not changed since.
          if (attempt > 0 || absent) return result;
          current = await this.readShard(name);
          result = applyShardEdit(current ? shardMembers(current.spec) : [], edit);
          if (result.added.length === 0 && result.removed.length === 0) return result;
        }
        if (current) {
          try {
            // `managedFields: [{}]` clears field ownership. Kept, it lists every member key again (~100 bytes each),
            // more than doubling the shard and the API server's work per write. A full update in the current layout
            // drops a legacy `members` list: this is how a shard migrates (docs/adr/0023).
            const written = await this.deps.shards.replace({
              ...current,
              metadata: { ...current.metadata, managedFields: [{}] } as ScimGroupMembers['metadata'],
              spec: shardSpec(group.metadata.name, shard, result.members),
            });
            this.deps.cache.expectShard(written);
            return result;
          } catch (err) {
            // Gone since the copy was taken (its group deleted): start again from a live read.
            if (isNotFound(err)) throw shardChanged;
            throw err;
          }
        }
        const created = await this.deps.shards.create({
          metadata: {
            name,
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
          spec: shardSpec(group.metadata.name, shard, result.members),
        });
        this.deps.cache.expectShard(created);
        return result;
      },
      {
        deadline,
        retryable: (err) => err === shardChanged || isConflict(err) || isAlreadyExists(err),
        subject: `Group ${group.metadata.name}`,
      },
    );
  }

  private async readShard(name: string): Promise<ScimGroupMembers | undefined> {
    try {
      return await this.deps.shards.get(name);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Best-effort compensation: reverses exactly what this request changed, so a failure leaves no half-change. */
  private async undo(group: ScimGroup, applied: AppliedShard[]): Promise<void> {
    const deadline = this.deps.deadline();
    for (const { shard, edit } of applied) {
      const inverse = { add: edit.removed, remove: edit.added.map((m) => m.value) };
      await this.editShard(group, shard, inverse, deadline).catch((err) =>
        this.deps.onUnexpectedError(err, 'undo member change'),
      );
    }
  }
}
