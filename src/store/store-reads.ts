import { labels } from '../api/labels.ts';
import type { ScimGroup } from '../api/scim-group.ts';
import type { ScimGroupMembers } from '../api/scim-group-members.ts';
import type { ScimUser } from '../api/scim-user.ts';
import { notFound } from '../scim/errors.ts';
import type { ResourceTypeName } from '../scim/schemas.ts';
import type { QueryPlan, StoreContext, StoredMember, StoredResource } from '../scim/store.ts';
import { isNotFound } from './api-errors.ts';
import { IndexedLookups } from './indexed-lookups.ts';
import type { ResourceClient } from './kube-client.ts';
import { isLookupAttribute } from './lookup-index.ts';
import { shardMembers, uniqueMembers } from './member-shards.ts';
import { type ScimObject, toStored, visibleTo } from './resource-mapping.ts';
import type { StoreCache } from './store-cache.ts';
import type { UniquenessClaims } from './uniqueness-claims.ts';

export interface StoreReadsOptions {
  users: ResourceClient<ScimUser>;
  groups: ResourceClient<ScimGroup>;
  shards: ResourceClient<ScimGroupMembers>;
  cache: StoreCache;
  claims: () => UniquenessClaims;
}

/**
 * The reads of the Kubernetes store (docs/adr/0003-kubernetes-store.md). Reads that must see the latest write — by
 * id, members — go to the API server, which serves consistent reads from its watch cache; index lookups are cache
 * candidates confirmed by live reads (`IndexedLookups`, docs/adr/0019); full listings come from this replica's
 * informer cache after it has caught up with this replica's own writes. Errors are
 * the API server's; the store maps them to ScimErrors.
 */
export class StoreReads {
  private readonly options: StoreReadsOptions;

  private readonly lookups: IndexedLookups;

  constructor(options: StoreReadsOptions) {
    this.options = options;
    this.lookups = new IndexedLookups({
      cache: options.cache,
      readOwned: (ctx, type, id) => this.readOwned(ctx, type, id),
      list: async (ctx, type, selector) =>
        (await this.client(type).list(`${labels.connection}=${ctx.connection},${selector}`)).filter((o) =>
          visibleTo(o, ctx.connection),
        ),
      ownerOf: (ctx, type, value) => options.claims().ownerOf(ctx.connection, type, value),
    });
  }

  client(type: ResourceTypeName): ResourceClient<ScimObject> {
    return (type === 'User' ? this.options.users : this.options.groups) as ResourceClient<ScimObject>;
  }

  /** A live read; undefined when absent. */
  async read(type: ResourceTypeName, id: string): Promise<ScimObject | undefined> {
    try {
      return await this.client(type).get(id);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** A live read of a resource of this connection; undefined when absent or another connection's. */
  async readOwned(ctx: StoreContext, type: ResourceTypeName, id: string): Promise<ScimObject | undefined> {
    const obj = await this.read(type, id);
    return visibleTo(obj, ctx.connection) ? obj : undefined;
  }

  async get(ctx: StoreContext, type: ResourceTypeName, id: string): Promise<StoredResource | undefined> {
    const obj = await this.readOwned(ctx, type, id);
    return obj && toStored(type, obj);
  }

  async existing(ctx: StoreContext, type: ResourceTypeName, ids: string[]): Promise<Set<string>> {
    const found = new Set<string>();
    const unknown: string[] = [];
    for (const id of new Set(ids)) {
      const cached = this.options.cache.get(type, id);
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
  }

  async query(ctx: StoreContext, type: ResourceTypeName, plan: QueryPlan): Promise<StoredResource[]> {
    if (plan.kind === 'none') return [];
    if (plan.kind === 'eq' && plan.attribute === 'id') {
      const found = await this.get(ctx, type, plan.value);
      return found ? [found] : [];
    }
    const objects =
      plan.kind === 'eq' && isLookupAttribute(type, plan.attribute)
        ? await this.lookups.find(ctx, type, plan.attribute, plan.value)
        : await this.options.cache.list(type, ctx.connection);
    return objects.map((o) => toStored(type, o)).sort(byCreatedThenId);
  }

  async getMembers(ctx: StoreContext, groupId: string): Promise<StoredMember[]> {
    if (!(await this.readOwned(ctx, 'Group', groupId))) throw notFound(`Group ${groupId} not found`);
    const shards = await this.options.shards.list(`${labels.group}=${groupId}`);
    shards.sort((a, b) => a.spec.shard - b.spec.shard);
    // While a shard splits, the members that move are in both halves for a moment (docs/adr/0025): each once.
    return uniqueMembers(shards.flatMap((s) => shardMembers(s.spec)));
  }
}

function byCreatedThenId(a: StoredResource, b: StoredResource): number {
  return a.created < b.created ? -1 : a.created > b.created ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
