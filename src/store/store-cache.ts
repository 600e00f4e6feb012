import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { labels } from '../api/labels.ts';
import type { ScimGroup } from '../api/scim-group.ts';
import type { ScimGroupMembers } from '../api/scim-group-members.ts';
import type { ScimUser } from '../api/scim-user.ts';
import { type CachedInformer, createInformer } from '../runtime/informer.ts';
import type { ResourceTypeName } from '../scim/schemas.ts';
import type { ResourceClient } from './kube-client.ts';
import { type LookupAttribute, LookupIndex } from './lookup-index.ts';
import { MembershipIndex } from './membership-index.ts';
import { type ScimObject, visibleTo } from './resource-mapping.ts';

/** How long a listing waits for this replica's own writes to reach the cache before answering anyway. */
const FENCE_TIMEOUT_MS = 2000;
/** At most this many shards written and not yet seen by the informer are kept (a shard is up to ~0.8 MB). */
const MAX_WRITTEN_SHARDS = 32;

/**
 * Informer caches of users, groups and member shards, shared by the store's listings and (later) the controllers.
 * Writes made through this replica are remembered until the cache has seen them, and listings wait for that
 * ("fence"), so a listing right after a write on the same replica includes it.
 */
export class StoreCache {
  readonly users: CachedInformer<KubernetesObject>;
  readonly groups: CachedInformer<KubernetesObject>;
  readonly shards: CachedInformer<KubernetesObject>;
  readonly memberships = new MembershipIndex();
  private readonly lookups: Record<ResourceTypeName, LookupIndex>;
  private readonly pending = new Map<string, { type: ResourceTypeName; name: string; resourceVersion?: string }>();
  /**
   * Shards this replica wrote that its informer has not delivered yet: the base of the next member change of that
   * shard, so that a change right after another (an IdP adding members one PATCH at a time) needs no read. Dropped
   * as soon as the informer catches up, so it holds only the writes of the last watch latency.
   */
  private readonly writtenShards = new Map<string, ScimGroupMembers>();

  constructor(
    kc: KubeConfig,
    users: ResourceClient<ScimUser>,
    groups: ResourceClient<ScimGroup>,
    shards: ResourceClient<ScimGroupMembers>,
  ) {
    const path = (plural: string) => `/apis/scim-operator.dev/v1alpha1/${plural}`;
    this.users = createInformer(kc, path(users.plural), users.listForInformer, { name: 'scimusers' });
    this.groups = createInformer(kc, path(groups.plural), groups.listForInformer, { name: 'scimgroups' });
    this.shards = createInformer(kc, path(shards.plural), shards.listForInformer, { name: 'scimgroupmembers' });
    this.shards.on('add', (o) => this.memberships.upsert(fromCache<ScimGroupMembers>(o)));
    this.shards.on('update', (o) => this.memberships.upsert(fromCache<ScimGroupMembers>(o)));
    this.shards.on('delete', (o) => this.memberships.remove(fromCache<ScimGroupMembers>(o)));
    for (const event of ['add', 'update', 'delete'] as const) {
      this.shards.on(event, (o) => this.forgetWrittenShard(o.metadata?.name ?? ''));
    }
    this.lookups = {
      User: new LookupIndex('User', (id) => this.get('User', id)),
      Group: new LookupIndex('Group', (id) => this.get('Group', id)),
    };
    for (const type of ['User', 'Group'] as const) {
      const informer = this.informer(type);
      const index = this.lookups[type];
      informer.on('add', (o) => index.upsert(fromCache<ScimObject>(o)));
      informer.on('update', (o) => index.upsert(fromCache<ScimObject>(o)));
      informer.on('delete', (o) => index.remove(fromCache<ScimObject>(o)));
    }
  }

  async start(): Promise<void> {
    await Promise.all([this.users.start(), this.groups.start(), this.shards.start()]);
  }

  async stop(): Promise<void> {
    await Promise.all([this.users.stop(), this.groups.stop(), this.shards.stop()]);
  }

  hasSynced(): boolean {
    return this.users.hasSynced() && this.groups.hasSynced() && this.shards.hasSynced();
  }

  private informer(type: ResourceTypeName) {
    return type === 'User' ? this.users : this.groups;
  }

  expect(type: ResourceTypeName, obj: ScimObject): void {
    this.pending.set(`${type}/${obj.metadata.name}`, {
      type,
      name: obj.metadata.name,
      resourceVersion: obj.metadata.resourceVersion,
    });
  }

  expectDeleted(type: ResourceTypeName, name: string): void {
    this.pending.set(`${type}/${name}`, { type, name });
  }

  private async fence(type: ResourceTypeName): Promise<void> {
    const waits: Promise<unknown>[] = [];
    for (const [key, p] of this.pending) {
      if (p.type !== type) continue;
      this.pending.delete(key);
      const informer = this.informer(type);
      waits.push(
        p.resourceVersion !== undefined
          ? informer.waitFor(p.name, p.resourceVersion, FENCE_TIMEOUT_MS)
          : waitUntil(() => informer.get(p.name) === undefined, FENCE_TIMEOUT_MS),
      );
    }
    await Promise.all(waits);
  }

  /**
   * Ids of the cached objects of this connection whose `attribute` equals `value` (case-insensitively but for
   * externalId): candidates for a live read to confirm, never an answer by themselves.
   */
  candidates(type: ResourceTypeName, attribute: LookupAttribute, value: string, connection: string): string[] {
    return this.lookups[type].candidates(attribute, value).filter((id) => visibleTo(this.get(type, id), connection));
  }

  /**
   * The newest copy of a member shard this replica has without reading: the informer's, or this replica's own last
   * write of it when the informer has not delivered that yet. No freshness promise: a write based on it must be
   * conditioned on its resourceVersion.
   */
  shard(name: string): ScimGroupMembers | undefined {
    const found = this.shards.get(name);
    const cached = found && fromCache<ScimGroupMembers>(found);
    const written = this.writtenShards.get(name);
    if (!written) return cached;
    return cached && !olderThan(cached, written) ? cached : written;
  }

  /** Remembers a shard this replica has just written (the API server's answer), until its informer catches up. */
  expectShard(shard: ScimGroupMembers): void {
    const name = shard.metadata.name;
    const cached = this.shards.get(name);
    if (cached && !olderThan(fromCache<ScimGroupMembers>(cached), shard)) return;
    this.writtenShards.delete(name);
    this.writtenShards.set(name, shard);
    // A stalled watch must not make this grow: keep only the most recent writes.
    if (this.writtenShards.size > MAX_WRITTEN_SHARDS) {
      this.writtenShards.delete(this.writtenShards.keys().next().value!);
    }
  }

  private forgetWrittenShard(name: string): void {
    const written = this.writtenShards.get(name);
    const found = this.shards.get(name);
    if (written && (!found || !olderThan(fromCache<ScimGroupMembers>(found), written))) {
      this.writtenShards.delete(name);
    }
  }

  /** The cached object, if this replica has seen it (no freshness promise). */
  get(type: ResourceTypeName, name: string): ScimObject | undefined {
    const found = this.informer(type).get(name);
    return found && fromCache<ScimObject>(found);
  }

  async list(type: ResourceTypeName, connection: string): Promise<ScimObject[]> {
    await this.fence(type);
    return this.informer(type)
      .list()
      .filter((o) => visibleTo(o, connection))
      .map((o) => fromCache<ScimObject>(o));
  }

  groupsOf(userId: string, connection: string): { id: string; displayName: string }[] {
    const out: { id: string; displayName: string }[] = [];
    for (const id of this.memberships.groupsOf(userId)) {
      const cached = this.groups.get(id);
      const group = cached && fromCache<ScimGroup>(cached);
      if (group && group.metadata.labels?.[labels.connection] === connection) {
        out.push({ id, displayName: group.spec.displayName });
      }
    }
    return out;
  }
}

/**
 * The client-node boundary: informers hold `KubernetesObject`s, whose `metadata.creationTimestamp` client-node types as
 * a `Date`, while the JSON of our custom resources carries a string (`ObjectMeta` in `api/crd-builder.ts` says so). An
 * informer of `scimusers` only ever holds ScimUsers, so the object is read as the custom resource it is.
 */
function fromCache<T extends ScimObject | ScimGroupMembers>(obj: KubernetesObject): T {
  return obj as unknown as T;
}

/** Whether `a` is an older revision of the object than `b` (resourceVersions are etcd revisions here). */
function olderThan(
  a: { metadata?: { resourceVersion?: string } },
  b: { metadata?: { resourceVersion?: string } },
): boolean {
  try {
    return BigInt(a.metadata?.resourceVersion ?? '0') < BigInt(b.metadata?.resourceVersion ?? '0');
  } catch {
    return false;
  }
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}
