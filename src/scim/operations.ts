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
 * - A member must be an existing User or Group of the same connection (never a dangling RBAC subject).
 * - Group listings leave `members` out unless `attributes` names them: each group's members cost store reads, and
 *   Entra and Okta never need them from a listing (Entra asks for `excludedAttributes=members`). A listing that does
 *   return them holds at most `limits.maxGroupsWithMembers` groups per page (RFC 7644 section 3.4.2.4 lets a page be
 *   shorter than `count`) and `limits.maxMembersPerListing` members in all.
 * - A Group filter whose only tests on `members` are equalities on ids (Entra's `id eq "g" and members eq "u"`,
 *   `members[value eq "u"]`) is answered from the store's membership index (`member-filter.ts`). Other tests on
 *   `members` (`pr`, `ne`, `co`...) read member lists, so the filter must also select at most
 *   `limits.maxGroupsWithMembers` groups by an index (`id`, `externalId` or `displayName` `eq`); else 400.
 * - Every cap in `limits` is checked before the store is asked anything it scales with; an id that is not a
 *   server-issued UUID is a 404 without a store call (`resource-id.ts`).
 */

import {
  excerpt,
  invalidFilter,
  mutability,
  notFound,
  preconditionFailed,
  ScimError,
  tooMany,
  unavailable,
} from './errors.ts';
import type { Filter } from './filter.ts';
import { matchesFilter } from './filter-evaluator.ts';
import { parseFilter } from './filter-parser.ts';
import { planQuery } from './filter-planner.ts';
import { assertMemberIds, resolveMembers } from './group-members.ts';
import { type ListResponse, listResponse, type PageRequest, pageOf, resolvePage } from './list-response.ts';
import { type MemberTests, memberTests } from './member-filter.ts';
import { normaliseResource } from './normalise-resource.ts';
import { applyPatch } from './patch.ts';
import type { PatchOperation } from './patch-operation.ts';
import { normalisePatchRequest } from './patch-request.ts';
import { assertProjectionWithinLimits, isReturned, type ProjectionOptions, project } from './projection.ts';
import { buildResourceDocument, resourceLocation, toETag, versionsFromIfMatch } from './resource-document.ts';
import { isResourceId } from './resource-id.ts';
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
    assertResourceId(type, id);
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
      assertProjectionWithinLimits(query);
      const filter = query.filter === undefined ? undefined : parseFilter(query.filter);
      const plan = filter ? planQuery(filter, type) : ({ kind: 'all' } as const);
      const members: MemberTests = type === 'Group' && filter ? memberTests(filter) : { kind: 'none' };
      if (members.kind === 'other' && plan.kind === 'all') {
        throw invalidFilter(
          'A filter that tests members other than by "members eq <id>" must also select groups by id, externalId or displayName with eq',
        );
      }
      const candidates = plan.kind === 'none' ? [] : await store.query(ctx, type, plan);
      if (members.kind === 'other' && candidates.length > limits.maxGroupsWithMembers) {
        throw tooMany(
          `The filter selects ${candidates.length} groups whose members it tests; at most ${limits.maxGroupsWithMembers} (maxGroupsWithMembers) are examined`,
        );
      }
      const matched = filter ? await filterResources(ctx, type, candidates, filter, members) : candidates;
      const projection = listingProjection(type, query);
      const withMembers = type === 'Group' && isReturned(type, 'members', projection);
      const page = resolvePage(query, withMembers ? Math.min(maxResults, limits.maxGroupsWithMembers) : maxResults);
      const resources: Record<string, unknown>[] = [];
      let inlined = 0;
      for (const stored of pageOf(matched, page)) {
        const members = withMembers ? await store.getMembers(ctx, stored.id) : undefined;
        inlined += members?.length ?? 0;
        if (inlined > limits.maxMembersPerListing) {
          throw tooMany(
            `This page would hold more than ${limits.maxMembersPerListing} members (maxMembersPerListing): list groups with excludedAttributes=members, a smaller count, or read large groups one at a time`,
          );
        }
        resources.push((await answer(ctx, type, stored, projection, members ? { members } : {})).document);
      }
      return listResponse(resources, matched.length, page.startIndex);
    },

    async get(ctx, type, id, projection = {}) {
      assertProjectionWithinLimits(projection);
      return answer(ctx, type, await mustGet(ctx, type, id), projection);
    },

    async create(ctx, type, body, projection = {}) {
      assertProjectionWithinLimits(projection);
      const { members, ...attributes } = normaliseResource(type, body);
      if (type === 'Group') {
        const stored = await resolveMembers(store, ctx, asMembers(members), undefined);
        const created = await store.create(ctx, type, attributes, stored);
        return answer(ctx, type, created, projection, { members: stored });
      }
      return answer(ctx, type, await store.create(ctx, type, attributes), projection);
    },

    async replace(ctx, type, id, body, request = {}) {
      assertProjectionWithinLimits(request);
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
      assertProjectionWithinLimits(request);
      assertResourceId(type, id);
      const operations = normalisePatchRequest(type, body);
      assertMemberIds(type, operations);
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
      assertResourceId(type, id);
      const versions = versionsFromIfMatch(request.ifMatch);
      const current = versions && versions.length > 1 ? await store.get(ctx, type, id) : undefined;
      const ifMatch = expectedVersion(request.ifMatch, current);
      const memberships = type === 'User' ? await store.groupsOf(ctx, id) : [];
      await store.delete(ctx, type, id, ifMatch === undefined ? {} : { ifMatch });
      // A deleted user leaves every group, so no group names a user that answers 404; a group deleted meanwhile has nothing left to clean up.
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

  /**
   * Resources matching `filter`, judged on their documents. Groups get the members the filter's id equalities name,
   * from the membership index, or their full member lists when it tests members otherwise (the caller bounds how
   * many); Users get `groups` only when the filter names it.
   */
  async function filterResources(
    ctx: StoreContext,
    type: ResourceTypeName,
    candidates: StoredResource[],
    filter: Filter,
    memberFilter: MemberTests,
  ): Promise<StoredResource[]> {
    const named = memberFilter.kind === 'ids' ? await namedMembers(ctx, memberFilter.ids) : undefined;
    const needsGroups = type === 'User' && mentions(filter, 'groups');
    const matched: StoredResource[] = [];
    for (const stored of candidates) {
      const members =
        memberFilter.kind === 'other' ? await store.getMembers(ctx, stored.id) : named && (named.get(stored.id) ?? []);
      const groups = needsGroups ? await store.groupsOf(ctx, stored.id) : undefined;
      const document = buildResourceDocument(type, stored, { baseUrl, members, groups });
      if (matchesFilter(filter, document, type)) matched.push(stored);
    }
    return matched;
  }

  /** Group id → those of `ids` that are its members, from the membership index: one lookup per id, no list read. */
  async function namedMembers(ctx: StoreContext, ids: string[]): Promise<Map<string, StoredMember[]>> {
    const byGroup = new Map<string, StoredMember[]>();
    // Ids are issued in lower case and compared case-insensitively (members.value is not caseExact).
    for (const id of new Set(ids.map((value) => value.toLowerCase()))) {
      if (!isResourceId(id)) continue;
      for (const group of await store.groupsOf(ctx, id)) {
        const members = byGroup.get(group.id) ?? [];
        members.push({ value: id });
        byGroup.set(group.id, members);
      }
    }
    return byGroup;
  }
}

/** Group listings leave `members` out unless `attributes` names them (see the decisions above). */
function listingProjection(type: ResourceTypeName, query: ProjectionOptions): ProjectionOptions {
  if (type !== 'Group') return query;
  if (query.attributes?.length && isReturned(type, 'members', { attributes: query.attributes })) return query;
  return { ...query, excludedAttributes: [...(query.excludedAttributes ?? []), 'members'] };
}

/** Only server-issued ids name resources; anything else is a 404 that never reaches the store. */
function assertResourceId(type: ResourceTypeName, id: string): void {
  if (!isResourceId(id)) throw notFound(`${type} ${excerpt(id)} not found`);
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
