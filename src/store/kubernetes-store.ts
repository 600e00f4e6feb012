import { isDeepStrictEqual } from 'node:util';
import type { KubeConfig } from '@kubernetes/client-node';
import { annotations, labels } from '../api/labels.ts';
import { type ScimClaim, scimClaimKind } from '../api/scim-claim.ts';
import { type ScimGroup, scimGroupKind } from '../api/scim-group.ts';
import { type ScimGroupMembers, scimGroupMembersKind } from '../api/scim-group-members.ts';
import { type ScimUser, scimUserKind } from '../api/scim-user.ts';
import { notFound, preconditionFailed } from '../scim/errors.ts';
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
import { isConflict, isNotFound, toScimError, worthLogging } from './api-errors.ts';
import { retryConflicts } from './conflict-retry.ts';
import { GroupMemberWrites } from './group-member-writes.ts';
import { ResourceClient } from './kube-client.ts';
import {
  displayNameHash,
  indexHash,
  indexLabels,
  type ScimObject,
  toSpec,
  toStored,
  userNameHash,
  visibleTo,
} from './resource-mapping.ts';
import { scimVersion } from './scim-version.ts';
import { StoreCache } from './store-cache.ts';
import { UniquenessClaims, uniqueAttribute } from './uniqueness-claims.ts';

export interface KubernetesStoreOptions {
  kc: KubeConfig;
  clock?: () => Date;
  /**
   * How long a write keeps retrying optimistic-concurrency conflicts before it answers 503; keep it below the HTTP
   * request timeout. Default 20 s.
   */
  conflictRetryMs?: number;
  /** Failures the client sees only as a generic error: 5xx, and refusals whose API server text is not passed on. */
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
  private readonly members: GroupMemberWrites;
  private readonly clock: () => Date;
  private readonly conflictRetryMs: number;
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
    this.conflictRetryMs = options.conflictRetryMs ?? 20_000;
    this.members = new GroupMemberWrites({
      groups: this.groups,
      shards: this.shards,
      cache: this.cache,
      clock: this.clock,
      deadline: () => this.deadline(),
      readOwned: async (ctx, id) => (await this.readOwned(ctx, 'Group', id)) as ScimGroup | undefined,
      onUnexpectedError: this.onUnexpectedError,
    });
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

  private deadline(): number {
    return Date.now() + this.conflictRetryMs;
  }

  private client(type: ResourceTypeName): ResourceClient<ScimObject> {
    return (type === 'User' ? this.users : this.groups) as ResourceClient<ScimObject>;
  }

  private async guard<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const mapped = toScimError(err);
      if (worthLogging(err, mapped)) this.onUnexpectedError(err, operation);
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
    return visibleTo(obj, ctx.connection) ? obj : undefined;
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
        if (visibleTo(cached, ctx.connection)) found.add(id);
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
      for (const o of [...cached, ...live]) if (visibleTo(o, ctx.connection)) objects.set(o.metadata.name, o);
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
          return toStored(type, await this.members.change(ctx, id, { add: members }, undefined, created as ScimGroup));
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
    return this.guard('replace', () =>
      retryConflicts(
        async () => {
          const current = await this.readOwned(ctx, type, id);
          if (!current) throw notFound(`${type} ${id} not found`);
          this.checkIfMatch(type, current, options.ifMatch);
          const next = this.replaced(ctx, type, current, attributes);
          // Nothing SCIM-visible changes: no write, so no new version and no lastModified (as the memory store).
          if (sameJson(next.spec, current.spec) && sameJson(next.metadata.labels, current.metadata.labels)) {
            return toStored(type, current);
          }
          const attribute = uniqueAttribute(type);
          const before = String((toStored(type, current).attributes[attribute] as string | undefined) ?? '');
          const after = String(attributes[attribute] ?? '');
          const renamed = before.toLowerCase() !== after.toLowerCase();
          if (renamed) await this.claims.claim(ctx.connection, type, after, id, this.clock());
          try {
            // Conditioned on the resourceVersion read above: a conflict means someone wrote in between, and the
            // next attempt re-reads and decides again whether If-Match still holds.
            const written = await this.client(type).replace(next);
            if (renamed) await this.claims.release(ctx.connection, type, before, id).catch(() => {});
            this.cache.expect(type, written);
            return toStored(type, written);
          } catch (err) {
            if (renamed) await this.claims.release(ctx.connection, type, after, id).catch(() => {});
            throw err;
          }
        },
        { deadline: this.deadline(), retryable: isConflict, subject: `${type} ${id}` },
      ),
    );
  }

  /** `current` with `attributes` as its spec and index labels, ready for a conditional full update. */
  private replaced(
    ctx: StoreContext,
    type: ResourceTypeName,
    current: ScimObject,
    attributes: Record<string, unknown>,
  ): ScimObject {
    const indexed = indexLabels(ctx.connection, type, attributes);
    const nextLabels = { ...current.metadata.labels, ...indexed };
    // Index labels of attributes that are gone must go too (a stale one would only cost a re-filter).
    for (const label of [labels.externalIdHash, labels.emailHash]) {
      if (!(label in indexed)) delete nextLabels[label];
    }
    return {
      ...current,
      metadata: {
        ...current.metadata,
        labels: nextLabels,
        annotations: { ...current.metadata.annotations, [annotations.lastModified]: this.clock().toISOString() },
      },
      spec: toSpec(type, attributes),
    } as ScimObject;
  }

  /** If-Match is compared with the SCIM version, never with resourceVersion (src/store/scim-version.ts). */
  private checkIfMatch(type: ResourceTypeName, current: ScimObject, ifMatch: string | undefined): void {
    if (ifMatch !== undefined && ifMatch !== scimVersion(type, current)) {
      throw preconditionFailed(`${type} ${current.metadata.name} has changed: its version is no longer ${ifMatch}`);
    }
  }

  delete(ctx: StoreContext, type: ResourceTypeName, id: string, options: WriteOptions = {}): Promise<void> {
    return this.guard('delete', async () => {
      const current = await retryConflicts(
        async () => {
          const found = await this.readOwned(ctx, type, id);
          if (!found) throw notFound(`${type} ${id} not found`);
          this.checkIfMatch(type, found, options.ifMatch);
          // With If-Match the delete is conditioned on the resourceVersion whose SCIM version was checked.
          const resourceVersion = options.ifMatch === undefined ? undefined : found.metadata.resourceVersion;
          try {
            await this.client(type).delete(id, { uid: found.metadata.uid, resourceVersion });
          } catch (err) {
            if (isNotFound(err)) throw notFound(`${type} ${id} not found`);
            throw err;
          }
          return found;
        },
        { deadline: this.deadline(), retryable: isConflict, subject: `${type} ${id}` },
      );
      this.cache.expectDeleted(type, id);
      const unique = String((toStored(type, current).attributes[uniqueAttribute(type)] as string | undefined) ?? '');
      // A lost release leaves the value claimed by nobody; a create of it would have to wait out the grace period.
      await retryConflicts(() => this.claims.release(ctx.connection, type, unique, id), {
        deadline: this.deadline(),
        retryable: (err) => toScimError(err).status === 503,
        subject: `the claim of ${type} ${id}`,
      }).catch((err) => this.onUnexpectedError(err, 'release'));
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
  ): Promise<StoredResource> {
    return this.guard('changeMembers', async () =>
      toStored('Group', await this.members.change(ctx, groupId, change, options.ifMatch)),
    );
  }
}

/** Equality of API objects as JSON (undefined members dropped). */
function sameJson(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(JSON.parse(JSON.stringify(a ?? {})), JSON.parse(JSON.stringify(b ?? {})));
}

function byCreatedThenId(a: StoredResource, b: StoredResource): number {
  return a.created < b.created ? -1 : a.created > b.created ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
