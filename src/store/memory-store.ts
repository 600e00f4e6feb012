/**
 * An in-memory ScimStore for unit tests and local runs. It keeps every rule of `src/scim/store.ts`; since all of its
 * state sits in one process, atomicity comes from doing each check-and-write without an `await` in between.
 * Values are copied on the way in and out so callers can never change stored state by mutating a result.
 */

import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { notFound, preconditionFailed, unavailable, uniqueness } from '../scim/errors.ts';
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

export interface MemoryStore extends ScimStore {
  /** While on, every call throws `unavailable` (503), as a store does when its backend is down (rule 6). */
  simulateOutage(on: boolean): void;
}

export interface MemoryStoreOptions {
  clock?: () => Date;
}

interface Connection {
  resources: Record<ResourceTypeName, Map<string, StoredResource>>;
  /** Lower-cased userName / displayName → id, per type (rule 3). */
  uniqueKeys: Record<ResourceTypeName, Map<string, string>>;
  /** Group id → member id → member; a Map keeps each member once, in insertion order. */
  members: Map<string, Map<string, StoredMember>>;
}

const UNIQUE_ATTRIBUTE: Record<ResourceTypeName, string> = { User: 'userName', Group: 'displayName' };

export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const clock = options.clock ?? (() => new Date());
  const connections = new Map<string, Connection>();
  let lastVersion = 0;
  let outage = false;

  function connection(ctx: StoreContext): Connection {
    if (outage) throw unavailable('The in-memory store is simulating an outage');
    let found = connections.get(ctx.connection);
    if (!found) {
      found = {
        resources: { User: new Map(), Group: new Map() },
        uniqueKeys: { User: new Map(), Group: new Map() },
        members: new Map(),
      };
      connections.set(ctx.connection, found);
    }
    return found;
  }

  function existing(conn: Connection, type: ResourceTypeName, id: string, options?: WriteOptions): StoredResource {
    const resource = conn.resources[type].get(id);
    if (!resource) throw notFound(`${type} ${id} not found`);
    if (options?.ifMatch !== undefined && options.ifMatch !== resource.version) {
      throw preconditionFailed(`${type} ${id} has changed: version ${resource.version}, expected ${options.ifMatch}`);
    }
    return resource;
  }

  function claimUniqueKey(conn: Connection, type: ResourceTypeName, attributes: Record<string, unknown>, id: string) {
    const key = uniqueKey(type, attributes);
    const holder = key === undefined ? undefined : conn.uniqueKeys[type].get(key);
    if (holder !== undefined && holder !== id) {
      throw uniqueness(
        `A ${type} with ${UNIQUE_ATTRIBUTE[type]} "${String(attributes[UNIQUE_ATTRIBUTE[type]])}" exists`,
      );
    }
    return key;
  }

  function save(conn: Connection, type: ResourceTypeName, resource: StoredResource, previous?: StoredResource) {
    const oldKey = previous && uniqueKey(type, previous.attributes);
    const newKey = uniqueKey(type, resource.attributes);
    if (oldKey !== undefined && oldKey !== newKey) conn.uniqueKeys[type].delete(oldKey);
    if (newKey !== undefined) conn.uniqueKeys[type].set(newKey, resource.id);
    conn.resources[type].set(resource.id, resource);
  }

  function nextVersion(): string {
    lastVersion += 1;
    return String(lastVersion);
  }

  return {
    simulateOutage(on) {
      outage = on;
    },

    async existing(ctx, type, ids) {
      const resources = connection(ctx).resources[type];
      return new Set(ids.filter((id) => resources.has(id)));
    },
    async get(ctx, type, id) {
      const resource = connection(ctx).resources[type].get(id);
      return resource && structuredClone(resource);
    },

    async getMembers(ctx, groupId) {
      const conn = connection(ctx);
      existing(conn, 'Group', groupId);
      return [...(conn.members.get(groupId)?.values() ?? [])].map((member) => ({ ...member }));
    },

    async groupsOf(ctx, userId) {
      const conn = connection(ctx);
      return sorted([...conn.resources.Group.values()])
        .filter((group) => conn.members.get(group.id)?.has(userId))
        .map((group) => ({ id: group.id, displayName: String(group.attributes.displayName ?? '') }));
    },

    async query(ctx, type, plan) {
      const all = [...connection(ctx).resources[type].values()];
      return sorted(all.filter((resource) => mayMatch(resource, plan))).map((resource) => structuredClone(resource));
    },

    async create(ctx, type, attributes, members) {
      const conn = connection(ctx);
      const id = randomUUID();
      claimUniqueKey(conn, type, attributes, id);
      const now = clock().toISOString();
      const resource: StoredResource = {
        id,
        version: nextVersion(),
        created: now,
        lastModified: now,
        attributes: structuredClone(attributes),
      };
      save(conn, type, resource);
      if (type === 'Group') conn.members.set(id, new Map(members?.map((member) => [member.value, { ...member }])));
      return structuredClone(resource);
    },

    async replace(ctx, type, id, attributes, options) {
      const conn = connection(ctx);
      const previous = existing(conn, type, id, options);
      claimUniqueKey(conn, type, attributes, id);
      if (isDeepStrictEqual(previous.attributes, attributes)) return structuredClone(previous);
      const resource: StoredResource = {
        ...previous,
        version: nextVersion(),
        lastModified: clock().toISOString(),
        attributes: structuredClone(attributes),
      };
      save(conn, type, resource, previous);
      return structuredClone(resource);
    },

    async changeMembers(ctx, groupId, change: MemberChange, options) {
      const conn = connection(ctx);
      const group = existing(conn, 'Group', groupId, options);
      const members = conn.members.get(groupId) ?? new Map<string, StoredMember>();
      let changed = false;
      if (change.remove === 'all') {
        changed = members.size > 0;
        members.clear();
      } else {
        for (const value of change.remove ?? []) changed = members.delete(value) || changed;
      }
      for (const member of change.add ?? []) {
        if (members.has(member.value)) continue;
        members.set(member.value, { ...member });
        changed = true;
      }
      conn.members.set(groupId, members);
      if (!changed) return structuredClone(group);
      const resource = { ...group, version: nextVersion(), lastModified: clock().toISOString() };
      conn.resources.Group.set(groupId, resource);
      return structuredClone(resource);
    },

    async delete(ctx, type, id, options) {
      const conn = connection(ctx);
      const resource = existing(conn, type, id, options);
      const key = uniqueKey(type, resource.attributes);
      if (key !== undefined) conn.uniqueKeys[type].delete(key);
      conn.resources[type].delete(id);
      conn.members.delete(id);
    },
  };
}

function uniqueKey(type: ResourceTypeName, attributes: Record<string, unknown>): string | undefined {
  const value = attributes[UNIQUE_ATTRIBUTE[type]];
  return typeof value === 'string' ? value.toLowerCase() : undefined;
}

/** Rule 8: by `created`, then `id`. */
function sorted(resources: StoredResource[]): StoredResource[] {
  return resources.sort((x, y) => x.created.localeCompare(y.created) || x.id.localeCompare(y.id));
}

/** A superset of the plan's matches is allowed (rule 8), so string comparisons ignore case. */
function mayMatch(resource: StoredResource, plan: QueryPlan): boolean {
  if (plan.kind === 'all') return true;
  if (plan.kind === 'none') return false;
  const wanted = plan.value.toLowerCase();
  const equals = (value: unknown) => typeof value === 'string' && value.toLowerCase() === wanted;
  switch (plan.attribute) {
    case 'id':
      return resource.id === plan.value;
    case 'emails.value': {
      const emails = resource.attributes.emails;
      return Array.isArray(emails) && emails.some((email) => equals((email as { value?: unknown } | null)?.value));
    }
    default:
      return equals(resource.attributes[plan.attribute]);
  }
}
