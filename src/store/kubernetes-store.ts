import type { KubeConfig } from '@kubernetes/client-node';
import { annotations, labels } from '../api/labels.ts';
import { type ScimClaim, scimClaimKind } from '../api/scim-claim.ts';
import { type ScimGroup, scimGroupKind } from '../api/scim-group.ts';
import { type ScimGroupMembers, scimGroupMembersKind } from '../api/scim-group-members.ts';
import { type ScimUser, scimUserKind } from '../api/scim-user.ts';
import { invalidValue, notFound, preconditionFailed, unavailable } from '../scim/errors.ts';
import type { ResourceTypeName } from '../scim/schemas.ts';
import type {
  MemberChange,
  QueryPlan,
  ScimStore,
  StoreContext,
  StoredMember,
  StoredResource,
  WriteOptions,
} from '../scim/store.ts';
import { isAlreadyExists, isConflict, isNotFound, toScimError } from './api-errors.ts';
import { ResourceClient } from './kube-client.ts';
import { type AppliedEdit, applyShardEdit, planShardEdits, type ShardEdit, shardName } from './member-shards.ts';
import {
  displayNameHash,
  indexHash,
  indexLabels,
  type ScimObject,
  toSpec,
  toStored,
  userNameHash,
} from './resource-mapping.ts';
import { StoreCache } from './store-cache.ts';
import { UniquenessClaims, uniqueAttribute } from './uniqueness-claims.ts';

/** Optimistic-concurrency retries for writes the client did not condition with If-Match. */
const MAX_CONFLICT_RETRIES = 8;

export interface KubernetesStoreOptions {
  kc: KubeConfig;
  clock?: () => Date;
  onUnexpectedError?: (err: unknown, operation: string) => void;
}

/**
 * ScimStore on custom resources (docs/adr/0003-kubernetes-store.md). Reads that must see the latest write — GET by
 * id, index lookups, members — go to the API server, which serves consistent reads from its watch cache; full
 * listings come from this replica's informer cache after it has caught up with this replica's own writes.
 */
export class KubernetesScimStore implements ScimStore {
  readonly users: ResourceClient<ScimUser>;
  readonly groups: ResourceClient<ScimGroup>;
  readonly shards: ResourceClient<ScimGroupMembers>;
  readonly claimObjects: ResourceClient<ScimClaim>;
  readonly cache: StoreCache;
  private readonly claims: UniquenessClaims;
  private readonly clock: () => Date;
  private readonly onUnexpectedError: (err: unknown, operation: string) => void;

  constructor(options: KubernetesStoreOptions) {
    const { kc } = options;
    this.users = new ResourceClient(kc, scimUserKind.kind, scimUserKind.plural);
    this.groups = new ResourceClient(kc, scimGroupKind.kind, scimGroupKind.plural);
    this.shards = new ResourceClient(kc, scimGroupMembersKind.kind, scimGroupMembersKind.plural);
    this.claimObjects = new ResourceClient(kc, scimClaimKind.kind, scimClaimKind.plural);
    this.cache = new StoreCache(kc, this.users, this.groups, this.shards);
    this.clock = options.clock ?? (() => new Date());
    this.onUnexpectedError = options.onUnexpectedError ?? (() => {});
    this.claims = new UniquenessClaims(
      this.claimObjects,
      async (type, id) => (await this.read(type, id)) !== undefined,
    );
  }

  /** Total API server requests made, for benchmarks. */
  requestCount(): number {
    return this.users.requests + this.groups.requests + this.shards.requests + this.claimObjects.requests;
  }

  start(): Promise<void> {
    return this.cache.start();
  }

  stop(): Promise<void> {
    return this.cache.stop();
  }

  private client(type: ResourceTypeName): ResourceClient<ScimObject> {
    return (type === 'User' ? this.users : this.groups) as ResourceClient<ScimObject>;
  }

  private async guard<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const mapped = toScimError(err);
      if (mapped.status >= 500) this.onUnexpectedError(err, operation);
      throw mapped;
    }
  }

  /** A live read; undefined when absent. */
  private async read(type: ResourceTypeName, id: string): Promise<ScimObject | undefined> {
    try {
      return await this.client(type).get(id);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private async readOwned(ctx: StoreContext, type: ResourceTypeName, id: string): Promise<ScimObject | undefined> {
    const obj = await this.read(type, id);
    return obj && obj.metadata.labels?.[labels.connection] === ctx.connection ? obj : undefined;
  }

  get(ctx: StoreContext, type: ResourceTypeName, id: string): Promise<StoredResource | undefined> {
    return this.guard('get', async () => {
      const obj = await this.readOwned(ctx, type, id);
      return obj && toStored(type, obj);
    });
  }

  existing(ctx: StoreContext, type: ResourceTypeName, ids: string[]): Promise<Set<string>> {
    return this.guard('existing', async () => {
      const found = new Set<string>();
      const unknown: string[] = [];
      for (const id of new Set(ids)) {
        const cached = this.cache.get(type, id);
        if (cached?.metadata.labels?.[labels.connection] === ctx.connection) found.add(id);
        else unknown.push(id);
      }
      // Ids the cache has not seen may have been created on another replica a moment ago: ask the API server.
      for (let start = 0; start < unknown.length; start += 50) {
        const batch = unknown.slice(start, start + 50);
        const objects = await Promise.all(batch.map((id) => this.readOwned(ctx, type, id)));
        objects.forEach((obj, i) => {
          if (obj) found.add(batch[i]!);
        });
      }
      return found;
    });
  }

  query(ctx: StoreContext, type: ResourceTypeName, plan: QueryPlan): Promise<StoredResource[]> {
    return this.guard('query', async () => {
      if (plan.kind === 'none') return [];
      if (plan.kind === 'eq' && plan.attribute === 'id') {
        const found = await this.get(ctx, type, plan.value);
        return found ? [found] : [];
      }
      if (plan.kind === 'eq' && plan.attribute === uniqueAttribute(type)) return this.byClaim(ctx, type, plan.value);
      const selector = plan.kind === 'eq' ? this.indexSelector(type, plan.attribute, plan.value) : undefined;
      const live =
        selector === undefined
          ? []
          : await this.client(type).list(`${labels.connection}=${ctx.connection},${selector}`);
      // The email index holds one address per user: other addresses can only be found in the cache.
      const cached =
        selector === undefined || (plan.kind === 'eq' && plan.attribute === 'emails.value')
          ? await this.cache.list(type, ctx.connection)
          : [];
      const objects = new Map<string, ScimObject>();
      for (const o of [...cached, ...live]) objects.set(o.metadata.name, o);
      return [...objects.values()].map((o) => toStored(type, o)).sort(byCreatedThenId);
    });
  }

  /**
   * userName and group displayName lookups through the uniqueness claim: two reads by name, whatever the number of
   * users, where a label selector makes the API server scan them all. Every resource the store writes is claimed
   * before it exists, so no claim means no resource; a claim whose owner was renamed or deleted is checked away.
   */
  private async byClaim(ctx: StoreContext, type: ResourceTypeName, value: string): Promise<StoredResource[]> {
    const owner = await this.claims.ownerOf(ctx.connection, type, value);
    if (owner === undefined) return [];
    const obj = await this.readOwned(ctx, type, owner);
    if (!obj) return [];
    const stored = toStored(type, obj);
    const held = String(stored.attributes[uniqueAttribute(type)] ?? '');
    return held.toLowerCase() === value.toLowerCase() ? [stored] : [];
  }

  private indexSelector(type: ResourceTypeName, attribute: string, value: string): string | undefined {
    if (attribute === 'userName' && type === 'User') return `${labels.userNameHash}=${userNameHash(value)}`;
    if (attribute === 'displayName' && type === 'Group') return `${labels.displayNameHash}=${displayNameHash(value)}`;
    if (attribute === 'externalId') return `${labels.externalIdHash}=${indexHash(value)}`;
    if (attribute === 'emails.value' && type === 'User') return `${labels.emailHash}=${indexHash(value.toLowerCase())}`;
    return undefined;
  }

  create(
    ctx: StoreContext,
    type: ResourceTypeName,
    attributes: Record<string, unknown>,
    members: StoredMember[] = [],
  ): Promise<StoredResource> {
    return this.guard('create', async () => {
      const id = crypto.randomUUID();
      const unique = String(attributes[uniqueAttribute(type)] ?? '');
      const now = this.clock();
      await this.claims.claim(ctx.connection, type, unique, id, now);
      let created: ScimObject;
      try {
        created = await this.client(type).create({
          metadata: {
            name: id,
            labels: indexLabels(ctx.connection, type, attributes),
            annotations: { [annotations.created]: now.toISOString(), [annotations.lastModified]: now.toISOString() },
          },
          spec: toSpec(type, attributes),
        } as Omit<ScimObject, 'apiVersion' | 'kind'>);
      } catch (err) {
        await this.claims.release(ctx.connection, type, unique, id).catch(() => {});
        throw err;
      }
      this.cache.expect(type, created);
      if (type === 'Group' && members.length > 0) {
        try {
          return await this.changeMembers(ctx, id, { add: members }, {}, { newGroup: true });
        } catch (err) {
          // The group must not exist half-made: undo it, then report the failure.
          await this.delete(ctx, type, id).catch(() => {});
          throw err;
        }
      }
      return toStored(type, created);
    });
  }

  replace(
    ctx: StoreContext,
    type: ResourceTypeName,
    id: string,
    attributes: Record<string, unknown>,
    options: WriteOptions = {},
  ): Promise<StoredResource> {
    return this.guard('replace', async () => {
      for (let attempt = 0; ; attempt++) {
        const current = await this.readOwned(ctx, type, id);
        if (!current) throw notFound(`${type} ${id} not found`);
        if (options.ifMatch !== undefined && options.ifMatch !== current.metadata.resourceVersion) {
          throw preconditionFailed(`${type} ${id} has changed: its version is no longer ${options.ifMatch}`);
        }
        const attribute = uniqueAttribute(type);
        const before = String((toStored(type, current).attributes[attribute] as string | undefined) ?? '');
        const after = String(attributes[attribute] ?? '');
        const renamed = before.toLowerCase() !== after.toLowerCase();
        const now = this.clock();
        if (renamed) await this.claims.claim(ctx.connection, type, after, id, now);
        const next = {
          ...current,
          metadata: {
            ...current.metadata,
            labels: { ...current.metadata.labels, ...indexLabels(ctx.connection, type, attributes) },
            annotations: { ...current.metadata.annotations, [annotations.lastModified]: now.toISOString() },
          },
          spec: toSpec(type, attributes),
        } as ScimObject;
        // Index labels of attributes that are gone must go too (a stale one would only cost a re-filter).
        const indexed = indexLabels(ctx.connection, type, attributes);
        for (const label of [labels.externalIdHash, labels.emailHash]) {
          if (!(label in indexed)) delete next.metadata.labels?.[label];
        }
        try {
          const written = await this.client(type).replace(next);
          if (renamed) await this.claims.release(ctx.connection, type, before, id).catch(() => {});
          this.cache.expect(type, written);
          return toStored(type, written);
        } catch (err) {
          if (renamed) await this.claims.release(ctx.connection, type, after, id).catch(() => {});
          if (!isConflict(err)) throw err;
          if (options.ifMatch !== undefined) throw preconditionFailed(`${type} ${id} changed while it was written`);
          if (attempt >= MAX_CONFLICT_RETRIES) throw unavailable(`${type} ${id} is being changed concurrently; retry`);
        }
      }
    });
  }

  delete(ctx: StoreContext, type: ResourceTypeName, id: string, options: WriteOptions = {}): Promise<void> {
    return this.guard('delete', async () => {
      const current = await this.readOwned(ctx, type, id);
      if (!current) throw notFound(`${type} ${id} not found`);
      if (options.ifMatch !== undefined && options.ifMatch !== current.metadata.resourceVersion) {
        throw preconditionFailed(`${type} ${id} has changed: its version is no longer ${options.ifMatch}`);
      }
      try {
        await this.client(type).delete(id, { uid: current.metadata.uid, resourceVersion: options.ifMatch });
      } catch (err) {
        if (isNotFound(err)) throw notFound(`${type} ${id} not found`);
        if (isConflict(err)) throw preconditionFailed(`${type} ${id} changed while it was deleted`);
        throw err;
      }
      this.cache.expectDeleted(type, id);
      const unique = String((toStored(type, current).attributes[uniqueAttribute(type)] as string | undefined) ?? '');
      await this.claims
        .release(ctx.connection, type, unique, id)
        .catch((err) => this.onUnexpectedError(err, 'release'));
      if (type === 'Group') {
        // Owner references make the garbage collector remove shards too; deleting them here makes it immediate.
        for (const shard of await this.shards.list(`${labels.group}=${id}`)) {
          await this.shards.delete(shard.metadata.name).catch((err) => {
            if (!isNotFound(err)) this.onUnexpectedError(err, 'delete shard');
          });
        }
      }
    });
  }

  getMembers(ctx: StoreContext, groupId: string): Promise<StoredMember[]> {
    return this.guard('getMembers', async () => {
      if (!(await this.readOwned(ctx, 'Group', groupId))) throw notFound(`Group ${groupId} not found`);
      const shards = await this.shards.list(`${labels.group}=${groupId}`);
      shards.sort((a, b) => a.spec.shard - b.spec.shard);
      return shards.flatMap((s) => s.spec.members);
    });
  }

  groupsOf(ctx: StoreContext, userId: string): Promise<{ id: string; displayName: string }[]> {
    return this.guard('groupsOf', async () => this.cache.groupsOf(userId, ctx.connection));
  }

  changeMembers(
    ctx: StoreContext,
    groupId: string,
    change: MemberChange,
    options: WriteOptions = {},
    internal: { newGroup?: boolean } = {},
  ): Promise<StoredResource> {
    return this.guard('changeMembers', async () => {
      // The group is bumped first, conditionally, so that If-Match is checked before any member moves and every
      // member change yields a new version.
      const group = await this.bumpGroup(ctx, groupId, options.ifMatch);
      const remove = change.remove === 'all' ? await this.allMemberIds(groupId) : (change.remove ?? []);
      const edits = planShardEdits(change.add ?? [], remove);
      // Shards are independent objects: they are written concurrently, and a failure undoes the ones that landed.
      const settled = await Promise.allSettled(
        [...edits].map(async ([shard, edit]) => ({
          shard,
          edit: await this.editShard(group, shard, edit, internal.newGroup === true),
        })),
      );
      const applied = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) {
        const err: unknown = failed.reason;
        await this.undo(group, applied);
        if (err instanceof RangeError) throw invalidValue(`Group ${groupId} cannot hold more members: ${err.message}`);
        throw err;
      }
      return toStored('Group', group);
    });
  }

  private async allMemberIds(groupId: string): Promise<string[]> {
    const shards = await this.shards.list(`${labels.group}=${groupId}`);
    return shards.flatMap((s) => s.spec.members.map((m) => m.value));
  }

  private async bumpGroup(ctx: StoreContext, groupId: string, ifMatch: string | undefined): Promise<ScimGroup> {
    for (let attempt = 0; ; attempt++) {
      const current = (await this.readOwned(ctx, 'Group', groupId)) as ScimGroup | undefined;
      if (!current) throw notFound(`Group ${groupId} not found`);
      if (ifMatch !== undefined && ifMatch !== current.metadata.resourceVersion) {
        throw preconditionFailed(`Group ${groupId} has changed: its version is no longer ${ifMatch}`);
      }
      try {
        const bumped = await this.groups.mergePatch(groupId, {
          metadata: {
            resourceVersion: current.metadata.resourceVersion,
            annotations: { [annotations.lastModified]: this.clock().toISOString() },
          },
        });
        this.cache.expect('Group', bumped);
        return bumped;
      } catch (err) {
        if (!isConflict(err)) throw err;
        if (ifMatch !== undefined) throw preconditionFailed(`Group ${groupId} changed while it was written`);
        if (attempt >= MAX_CONFLICT_RETRIES) throw unavailable(`Group ${groupId} is being changed concurrently; retry`);
      }
    }
  }

  /** Read-modify-write of one shard under optimistic concurrency; creates the shard on first use. */
  /** `absent`: the group was created by this request, so its shards do not exist yet and need no read. */
  private async editShard(group: ScimGroup, shard: number, edit: ShardEdit, absent = false): Promise<AppliedEdit> {
    const name = shardName(group.metadata.name, shard);
    for (let attempt = 0; ; attempt++) {
      let current: ScimGroupMembers | undefined;
      if (!absent || attempt > 0) {
        try {
          current = await this.shards.get(name);
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
      const result = applyShardEdit(current?.spec.members ?? [], edit);
      if (result.added.length === 0 && result.removed.length === 0) return result;
      try {
        if (current) {
          // `managedFields: [{}]` clears field ownership. Kept, it lists every member key again (~100 bytes each),
          // more than doubling the shard and the API server's work per write.
          await this.shards.replace({
            ...current,
            metadata: { ...current.metadata, managedFields: [{}] } as ScimGroupMembers['metadata'],
            spec: { ...current.spec, members: result.members },
          });
        } else {
          await this.shards.create({
            metadata: {
              name,
              labels: {
                [labels.group]: group.metadata.name,
                [labels.connection]: group.metadata.labels?.[labels.connection] ?? '',
                [labels.managedBy]: 'scim-operator',
              },
              ownerReferences: [
                {
                  apiVersion: group.apiVersion,
                  kind: group.kind,
                  name: group.metadata.name,
                  uid: group.metadata.uid ?? '',
                },
              ],
            },
            spec: { group: group.metadata.name, shard, members: result.members },
          });
        }
        return result;
      } catch (err) {
        if (!(isConflict(err) || isAlreadyExists(err)) || attempt >= MAX_CONFLICT_RETRIES) throw err;
      }
    }
  }

  /** Best-effort compensation: reverses exactly what this request changed, so a failure leaves no half-change. */
  private async undo(group: ScimGroup, applied: { shard: number; edit: AppliedEdit }[]): Promise<void> {
    for (const { shard, edit } of applied) {
      const inverse = { add: edit.removed, remove: edit.added.map((m) => m.value) };
      await this.editShard(group, shard, inverse).catch((err) => this.onUnexpectedError(err, 'undo member change'));
    }
  }
}

function byCreatedThenId(a: StoredResource, b: StoredResource): number {
  return a.created < b.created ? -1 : a.created > b.created ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
