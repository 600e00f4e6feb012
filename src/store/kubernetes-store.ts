import { isDeepStrictEqual } from 'node:util';
import type { KubeConfig } from '@kubernetes/client-node';
import { annotations, labels } from '../api/labels.ts';
import { type ScimClaim, scimClaimKind } from '../api/scim-claim.ts';
import { type ScimGroup, scimGroupKind } from '../api/scim-group.ts';
import { type ScimGroupMembers, scimGroupMembersKind } from '../api/scim-group-members.ts';
import { type ScimUser, scimUserKind } from '../api/scim-user.ts';
import { notFound, preconditionFailed, unavailable } from '../scim/errors.ts';
import type { ResourceTypeName } from '../scim/schemas.ts';
import type { ScimStore, StoreContext, StoredMember, StoredResource, WriteOptions } from '../scim/store.ts';
import { apiFailureToScimError, certainlyNotWritten, isConflict, isNotFound, worthLogging } from './api-errors.ts';
import { retryConflicts } from './conflict-retry.ts';
import { GroupMemberWrites } from './group-member-writes.ts';
import { ResourceClient } from './kube-client.ts';
import { indexLabels, type ScimObject, toSpec, toStored } from './resource-mapping.ts';
import { scimVersion } from './scim-version.ts';
import { StoreCache } from './store-cache.ts';
import { StoreReads } from './store-reads.ts';
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
 * A create slower than this re-reads its uniqueness claim before answering: half the claims' in-flight grace
 * (30 s), so that clock differences between replicas and the API server of up to 15 s cannot hide a takeover.
 */
const CLAIM_RECHECK_AFTER_MS = 15_000;

/**
 * ScimStore on custom resources (docs/adr/0003-kubernetes-store.md): the writes, with uniqueness claims and
 * optimistic concurrency; reads are `StoreReads`'. Every failure leaves as a ScimError (`apiFailureToScimError`).
 */
export class KubernetesScimStore implements ScimStore {
  readonly users: ResourceClient<ScimUser>;
  readonly groups: ResourceClient<ScimGroup>;
  readonly shards: ResourceClient<ScimGroupMembers>;
  readonly claimObjects: ResourceClient<ScimClaim>;
  readonly cache: StoreCache;
  private readonly claims: UniquenessClaims;
  private readonly reads: StoreReads;
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
    const { users, groups, shards, cache } = this;
    this.reads = new StoreReads({ users, groups, shards, cache, claims: () => this.claims });
    this.clock = options.clock ?? (() => new Date());
    this.onUnexpectedError = options.onUnexpectedError ?? (() => {});
    this.conflictRetryMs = options.conflictRetryMs ?? 20_000;
    this.members = new GroupMemberWrites({
      groups: this.groups,
      shards: this.shards,
      cache: this.cache,
      clock: this.clock,
      deadline: () => this.deadline(),
      readOwned: async (ctx, id) => (await this.reads.readOwned(ctx, 'Group', id)) as ScimGroup | undefined,
      onUnexpectedError: this.onUnexpectedError,
    });
    this.claims = new UniquenessClaims(
      this.claimObjects,
      async (type, id) => (await this.reads.read(type, id)) !== undefined,
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

  readonly get: ScimStore['get'] = (ctx, type, id) => this.guard('get', () => this.reads.get(ctx, type, id));
  readonly existing: ScimStore['existing'] = (ctx, type, ids) =>
    this.guard('existing', () => this.reads.existing(ctx, type, ids));
  readonly query: ScimStore['query'] = (ctx, type, plan) =>
    this.guard('query', () => this.reads.query(ctx, type, plan));
  readonly getMembers: ScimStore['getMembers'] = (ctx, groupId) =>
    this.guard('getMembers', () => this.reads.getMembers(ctx, groupId));
  readonly changeMembers: ScimStore['changeMembers'] = (ctx, groupId, change, options = {}) =>
    this.guard('changeMembers', async () =>
      toStored('Group', await this.members.change(ctx, groupId, change, options.ifMatch)),
    );
  readonly groupsOf: ScimStore['groupsOf'] = (ctx, userId) =>
    this.guard('groupsOf', async () => this.cache.groupsOf(userId, ctx.connection));

  private async guard<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const mapped = apiFailureToScimError(err);
      if (worthLogging(err, mapped)) this.onUnexpectedError(err, operation);
      throw mapped;
    }
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
      const started = Date.now();
      await this.claims.claim(ctx.connection, type, unique, id, now);
      let created: ScimObject;
      try {
        created = await this.reads.client(type).create({
          metadata: {
            name: id,
            labels: indexLabels(ctx.connection, type, attributes),
            annotations: {
              [annotations.created]: now.toISOString(),
              [annotations.lastModified]: now.toISOString(),
              // A new group's members start in one shard, which splits as it fills (docs/adr/0025).
              ...(type === 'Group' ? { [annotations.memberShardDepth]: '0' } : {}),
            },
          },
          spec: toSpec(type, attributes),
        } as Omit<ScimObject, 'apiVersion' | 'kind'>);
      } catch (err) {
        // Released only when the API server refused the create. After a lost answer the object may exist: the claim
        // stays, so a retry cannot create a second resource with this value, and a claim whose owner never appears
        // is taken over once its grace period has passed (uniqueness-claims.ts).
        if (certainlyNotWritten(err)) await this.claims.release(ctx.connection, type, unique, id).catch(() => {});
        throw err;
      }
      // A create this slow may have lost its claim to a takeover by a retry elsewhere (a claim is taken over once it
      // is IN_FLIGHT_GRACE_MS old and its owner does not exist yet): then this object is the duplicate, and goes.
      if (Date.now() - started > CLAIM_RECHECK_AFTER_MS) {
        const owner = await this.claims.ownerOf(ctx.connection, type, unique);
        if (owner !== id) {
          await this.reads
            .client(type)
            .delete(id)
            .catch(() => {});
          throw unavailable(
            `The ${uniqueAttribute(type)} "${unique}" was claimed by another request meanwhile; retry`,
            1,
          );
        }
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
          const current = await this.reads.readOwned(ctx, type, id);
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
            const written = await this.reads.client(type).replace(next);
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
          const found = await this.reads.readOwned(ctx, type, id);
          if (!found) throw notFound(`${type} ${id} not found`);
          this.checkIfMatch(type, found, options.ifMatch);
          // With If-Match the delete is conditioned on the resourceVersion whose SCIM version was checked.
          const resourceVersion = options.ifMatch === undefined ? undefined : found.metadata.resourceVersion;
          try {
            await this.reads.client(type).delete(id, { uid: found.metadata.uid, resourceVersion });
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
        retryable: (err) => apiFailureToScimError(err).status === 503,
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
}

/** Equality of API objects as JSON (undefined members dropped). */
function sameJson(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(JSON.parse(JSON.stringify(a ?? {})), JSON.parse(JSON.stringify(b ?? {})));
}
