/**
 * The SCIM service: list/get/create/replace/patch/delete of Users and Groups, written against ScimStore and nothing
 * else. Every failure it reports is a ScimError; anything else that escapes is a bug and renders as 500.
 *
 * Decisions the RFC leaves open, and why:
 * - PUT without `members` leaves a Group's membership alone (RFC 7644 section 3.5.1 lets omitted attributes be "not
 *   asserted"); clearing it needs `members: []`. A client that read a large group with `excludedAttributes=members`
 *   and PUTs it back must not empty it.
 * - PATCH answers Groups with 204 (Entra expects it) unless the client asked for `attributes`; Users get 200.
 * - A PATCH that loses a version race the client did not ask about (no If-Match) is re-read and re-applied, so two
 *   IdP workers adding members to one group at once never lose an add.
 * - A member must be an existing User or Group of the same connection (never a dangling RBAC subject, T45).
 */

import { mutability, notFound, preconditionFailed, ScimError, unavailable } from './errors.ts';
import { type Filter, matchesFilter, parseFilter, planQuery } from './filter.ts';
import { resolveMembers } from './group-members.ts';
import { type ListResponse, listResponse, type PageRequest, pageOf, resolvePage } from './list-response.ts';
import type { PatchOperation } from './normalise.ts';
import { normalisePatchRequest, normaliseResource } from './normalise.ts';
import { applyPatch } from './patch.ts';
import { isReturned, type ProjectionOptions, project } from './projection.ts';
import { buildResourceDocument, resourceLocation, toETag, versionsFromIfMatch } from './resource-document.ts';
import { type AttributeDefinition, limits, type ResourceTypeName, resourceType, schemaById } from './schemas.ts';
import type { MemberChange, ScimStore, StoreContext, StoredMember, StoredResource } from './store.ts';

export interface ScimServiceOptions {
  store: ScimStore;
  /** Absolute URL of the SCIM root, e.g. `https://scim.example.com/scim/v2`, for `meta.location` and `$ref`. */
  baseUrl: string;
  /** Largest page; defaults to `limits.maxResults`, which `/ServiceProviderConfig` advertises. */
  maxResults?: number;
  /** Attempts of a PATCH whose write lost a version race the client did not ask about; then 503. Default 10. */
  maxPatchAttempts?: number;
}

export interface ListQuery extends PageRequest, ProjectionOptions {
  filter?: string;
}

export interface WriteRequest extends ProjectionOptions {
  /** The raw `If-Match` header. */
  ifMatch?: string;
}

/** A single-resource answer. `document` is absent when the answer is 204 No Content. */
export interface ResourceAnswer {
  document?: Record<string, unknown>;
  /** `meta.version`, for the ETag header. */
  etag: string;
  location: string;
}

export type DocumentAnswer = ResourceAnswer & { document: Record<string, unknown> };

export interface ScimService {
  readonly baseUrl: string;
  list(ctx: StoreContext, type: ResourceTypeName, query?: ListQuery): Promise<ListResponse>;
  get(ctx: StoreContext, type: ResourceTypeName, id: string, options?: ProjectionOptions): Promise<DocumentAnswer>;
  create(
    ctx: StoreContext,
    type: ResourceTypeName,
    body: unknown,
    options?: ProjectionOptions,
  ): Promise<DocumentAnswer>;
  replace(
    ctx: StoreContext,
    type: ResourceTypeName,
    id: string,
    body: unknown,
    request?: WriteRequest,
  ): Promise<DocumentAnswer>;
  patch(
    ctx: StoreContext,
    type: ResourceTypeName,
    id: string,
    body: unknown,
    request?: WriteRequest,
  ): Promise<ResourceAnswer>;
  delete(ctx: StoreContext, type: ResourceTypeName, id: string, request?: { ifMatch?: string }): Promise<void>;
}

export function createScimService(options: ScimServiceOptions): ScimService {
  const { store, baseUrl } = options;
  const maxResults = options.maxResults ?? limits.maxResults;
  const maxPatchAttempts = options.maxPatchAttempts ?? 10;

  async function mustGet(ctx: StoreContext, type: ResourceTypeName, id: string): Promise<StoredResource> {
    const found = await store.get(ctx, type, id);
    if (!found) throw notFound(`${type} ${id} not found`);
    return found;
  }

  /** The document of `stored`, reading members or groups only when the projection will return them. */
  async function answer(
    ctx: StoreContext,
    type: ResourceTypeName,
    stored: StoredResource,
    projection: ProjectionOptions = {},
    known: { members?: StoredMember[] } = {},
  ): Promise<DocumentAnswer> {
    let members = known.members;
    if (type === 'Group' && !members && isReturned(type, 'members', projection)) {
      members = await store.getMembers(ctx, stored.id);
    }
    const groups =
      type === 'User' && isReturned(type, 'groups', projection) ? await store.groupsOf(ctx, stored.id) : undefined;
    const document = buildResourceDocument(type, stored, { baseUrl, members, groups });
    return {
      document: project(document, type, projection),
      etag: toETag(stored.version),
      location: resourceLocation(baseUrl, type, stored.id),
    };
  }

  /** The version an If-Match header asks for: undefined when absent or `*`; the current one when it is listed. */
  function expectedVersion(header: string | undefined, current?: StoredResource): string | undefined {
    const versions = versionsFromIfMatch(header);
    if (!versions) return undefined;
    if (current && versions.includes(current.version)) return current.version;
    return versions[0];
  }

  return {
    baseUrl,

    async list(ctx, type, query = {}) {
      const filter =
        query.filter === undefined
          ? undefined
          : parseFilter(query.filter, {
              maxLength: limits.maxFilterLength,
              maxDepth: limits.maxFilterDepth,
            });
      const candidates = await store.query(ctx, type, filter ? planQuery(filter, type) : { kind: 'all' });
      const matched = filter ? await filterResources(ctx, type, candidates, filter) : candidates;
      const page = resolvePage(query, maxResults);
      const resources: Record<string, unknown>[] = [];
      for (const stored of pageOf(matched, page)) resources.push((await answer(ctx, type, stored, query)).document);
      return listResponse(resources, matched.length, page.startIndex);
    },

    async get(ctx, type, id, projection = {}) {
      return answer(ctx, type, await mustGet(ctx, type, id), projection);
    },

    async create(ctx, type, body, projection = {}) {
      const { members, ...attributes } = normaliseResource(type, body);
      if (type === 'Group') {
        const stored = await resolveMembers(store, ctx, asMembers(members), undefined);
        const created = await store.create(ctx, type, attributes, stored);
        return answer(ctx, type, created, projection, { members: stored });
      }
      return answer(ctx, type, await store.create(ctx, type, attributes), projection);
    },

    async replace(ctx, type, id, body, request = {}) {
      const current = await mustGet(ctx, type, id);
      assertSameId(body, id);
      const { members, ...attributes } = normaliseResource(type, body);
      assertImmutableUnchanged(type, current.attributes, attributes);
      const memberList = type === 'Group' && members !== undefined ? asMembers(members) : undefined;
      const stored = memberList && (await resolveMembers(store, ctx, memberList, id));
      const ifMatch = expectedVersion(request.ifMatch, current);
      let written = await store.replace(ctx, type, id, attributes, ifMatch === undefined ? {} : { ifMatch });
      if (stored) written = await store.changeMembers(ctx, id, { remove: 'all', add: stored });
      return answer(ctx, type, written, request, stored ? { members: stored } : {});
    },

    async patch(ctx, type, id, body, request = {}) {
      const operations = normalisePatchRequest(type, body);
      const clientAsked = versionsFromIfMatch(request.ifMatch) !== undefined;
      for (let attempt = 1; ; attempt++) {
        const current = await mustGet(ctx, type, id);
        const ifMatch = expectedVersion(request.ifMatch, current) ?? current.version;
        if (ifMatch !== current.version) throw preconditionFailed(`${type} ${id} has changed since version ${ifMatch}`);
        let written: StoredResource;
        try {
          written = await writePatch(ctx, type, current, operations, ifMatch, clientAsked);
        } catch (err) {
          // Only the first write carries an unrequested ifMatch, so a lost race has written nothing yet.
          const lostRace = err instanceof ScimError && err.status === 412 && !clientAsked;
          if (!lostRace) throw err;
          if (attempt >= maxPatchAttempts) throw unavailable(`${type} ${id} is being changed concurrently; retry`, 1);
          continue;
        }
        if (type === 'Group' && !request.attributes?.length) {
          return { etag: toETag(written.version), location: resourceLocation(baseUrl, type, id) };
        }
        return answer(ctx, type, written, request);
      }
    },

    async delete(ctx, type, id, request = {}) {
      const versions = versionsFromIfMatch(request.ifMatch);
      const current = versions && versions.length > 1 ? await store.get(ctx, type, id) : undefined;
      const ifMatch = expectedVersion(request.ifMatch, current);
      const memberships = type === 'User' ? await store.groupsOf(ctx, id) : [];
      await store.delete(ctx, type, id, ifMatch === undefined ? {} : { ifMatch });
      // A deleted user leaves every group (T40, T52); a group deleted meanwhile has nothing left to clean up.
      for (const group of memberships) {
        await store.changeMembers(ctx, group.id, { remove: [id] }).catch(ignoreNotFound);
      }
    },
  };

  /**
   * Applies `operations` to `current` and writes the result: attributes with `ifMatch` (only when they changed), then
   * members. Member changes are atomic adds and removes in the store, so they carry `ifMatch` only when the client
   * asked for one and nothing was written before them.
   */
  async function writePatch(
    ctx: StoreContext,
    type: ResourceTypeName,
    current: StoredResource,
    operations: PatchOperation[],
    ifMatch: string,
    clientAsked: boolean,
  ): Promise<StoredResource> {
    const result = applyPatch(type, current.attributes, operations, current.id);
    const change: MemberChange | undefined = result.members === 'unchanged' ? undefined : { ...result.members };
    if (change?.add?.length) change.add = await resolveMembers(store, ctx, change.add, current.id);
    let written = current;
    if (result.changed) written = await store.replace(ctx, type, current.id, result.resource, { ifMatch });
    if (change) {
      const guard = clientAsked && !result.changed ? { ifMatch } : {};
      written = await store.changeMembers(ctx, current.id, change, guard);
    }
    return written;
  }

  /** Resources matching `filter`, judged on their full documents; members and groups are read only if it names them. */
  async function filterResources(
    ctx: StoreContext,
    type: ResourceTypeName,
    candidates: StoredResource[],
    filter: Filter,
  ): Promise<StoredResource[]> {
    const needsMembers = type === 'Group' && mentions(filter, 'members');
    const needsGroups = type === 'User' && mentions(filter, 'groups');
    const matched: StoredResource[] = [];
    for (const stored of candidates) {
      const members = needsMembers ? await store.getMembers(ctx, stored.id) : undefined;
      const groups = needsGroups ? await store.groupsOf(ctx, stored.id) : undefined;
      const document = buildResourceDocument(type, stored, { baseUrl, members, groups });
      if (matchesFilter(filter, document, type)) matched.push(stored);
    }
    return matched;
  }
}

function mentions(filter: Filter, attribute: string): boolean {
  switch (filter.op) {
    case 'and':
    case 'or':
      return mentions(filter.left, attribute) || mentions(filter.right, attribute);
    case 'not':
      return mentions(filter.filter, attribute);
    default:
      return filter.path.attribute.toLowerCase() === attribute;
  }
}

function asMembers(value: unknown): StoredMember[] {
  return Array.isArray(value) ? (value as StoredMember[]) : [];
}

/** A body `id` is readOnly: tolerated when it equals the resource's (Okta re-sends it), refused otherwise. */
function assertSameId(body: unknown, id: string): void {
  if (typeof body !== 'object' || body === null) return;
  const key = Object.keys(body).find((k) => k.toLowerCase() === 'id');
  const value = key === undefined ? undefined : (body as Record<string, unknown>)[key];
  if (value !== undefined && value !== null && value !== id) {
    throw mutability(`The id in the body (${String(value)}) does not match the resource (${id})`);
  }
}

/** RFC 7643 `immutable`: once set, a value may be re-sent but not changed. */
function assertImmutableUnchanged(
  type: ResourceTypeName,
  current: Record<string, unknown>,
  next: Record<string, unknown>,
): void {
  const definition = resourceType(type);
  const check = (definitions: AttributeDefinition[], before: unknown, after: unknown, prefix: string) => {
    const was = (before ?? {}) as Record<string, unknown>;
    const now = (after ?? {}) as Record<string, unknown>;
    for (const attribute of definitions) {
      if (attribute.mutability !== 'immutable' || was[attribute.name] === undefined) continue;
      if (JSON.stringify(was[attribute.name]) !== JSON.stringify(now[attribute.name])) {
        throw mutability(`Attribute '${prefix}${attribute.name}' is immutable`);
      }
    }
  };
  check(schemaById(definition.schema)?.attributes ?? [], current, next, '');
  for (const { schema } of definition.schemaExtensions) {
    check(schemaById(schema)?.attributes ?? [], current[schema], next[schema], `${schema}:`);
  }
}

function ignoreNotFound(err: unknown): void {
  if (!(err instanceof ScimError && err.status === 404)) throw err;
}
