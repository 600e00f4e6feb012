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

import { sameName } from './attribute-path.ts';
import { excerpt, mutability, notFound, preconditionFailed, ScimError, unavailable } from './errors.ts';
import { assertMemberIds, resolveMembers } from './group-members.ts';
import { type ListQuery, listResources } from './list-resources.ts';
import type { ListResponse } from './list-response.ts';
import { normaliseResource } from './normalise-resource.ts';
import { applyPatch } from './patch.ts';
import type { PatchOperation } from './patch-operation.ts';
import { normalisePatchRequest } from './patch-request.ts';
import { assertProjectionWithinLimits, type ProjectionOptions } from './projection.ts';
import { answer, type DocumentAnswer, type ResourceAnswer } from './resource-answer.ts';
import { resourceLocation, toETag, versionsFromIfMatch } from './resource-document.ts';
import { isResourceId } from './resource-id.ts';
import {
  type AttributeDefinition,
  GROUP_SCHEMA,
  limits,
  type ResourceTypeName,
  resourceType,
  schemaById,
} from './schemas.ts';
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

export interface WriteRequest extends ProjectionOptions {
  /** The raw `If-Match` header. */
  ifMatch?: string;
}

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

  /** The version an If-Match header asks for: undefined when absent or `*`; the current one when it is listed. */
  function expectedVersion(header: string | undefined, current?: StoredResource): string | undefined {
    const versions = versionsFromIfMatch(header);
    if (!versions) return undefined;
    if (current && versions.includes(current.version)) return current.version;
    return versions[0];
  }

  const deps = { store, baseUrl };

  return {
    baseUrl,

    list: (ctx, type, query = {}) => listResources({ ...deps, maxResults }, ctx, type, query),

    async get(ctx, type, id, projection = {}) {
      assertProjectionWithinLimits(projection);
      return answer(deps, ctx, type, await mustGet(ctx, type, id), projection);
    },

    async create(ctx, type, body, projection = {}) {
      assertProjectionWithinLimits(projection);
      const { members, ...attributes } = normaliseResource(type, body);
      if (type === 'Group') {
        const stored = await resolveMembers(store, ctx, asMembers(members), undefined);
        const created = await store.create(ctx, type, attributes, stored);
        return answer(deps, ctx, type, created, projection, { members: stored });
      }
      return answer(deps, ctx, type, await store.create(ctx, type, attributes), projection);
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
      return answer(deps, ctx, type, written, request, stored ? { members: stored } : {});
    },

    async patch(ctx, type, id, body, request = {}) {
      assertProjectionWithinLimits(request);
      assertResourceId(type, id);
      const operations = normalisePatchRequest(type, body);
      assertMemberIds(type, operations);
      const clientAsked = versionsFromIfMatch(request.ifMatch) !== undefined;
      if (!clientAsked && !request.attributes?.length && membersOnly(type, operations)) {
        // What IdPs send most: members added or removed, no If-Match, 204. Nothing of the group's attributes is
        // needed, so the group is not read first; the store checks it exists and is this connection's.
        const { members } = applyPatch(type, {}, operations, id);
        if (members !== 'unchanged') {
          const change: MemberChange = { ...members };
          if (change.add?.length) {
            // A group this connection cannot see is 404 before anything about its members, as when it is read first.
            change.add = await resolveMembers(store, ctx, change.add, id).catch(async (err: unknown) => {
              if (err instanceof ScimError && err.status === 400) await mustGet(ctx, type, id);
              throw err;
            });
          }
          const written = await store.changeMembers(ctx, id, change, {});
          return { etag: toETag(written.version), location: resourceLocation(baseUrl, type, id) };
        }
      }
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
        return answer(deps, ctx, type, written, request);
      }
    },

    async delete(ctx, type, id, request = {}) {
      assertResourceId(type, id);
      const versions = versionsFromIfMatch(request.ifMatch);
      const current = versions && versions.length > 1 ? await store.get(ctx, type, id) : undefined;
      const ifMatch = expectedVersion(request.ifMatch, current);
      const memberships = type === 'User' ? await store.groupsOf(ctx, id) : [];
      await store.delete(ctx, type, id, ifMatch === undefined ? {} : { ifMatch });
      // A deleted user leaves every group, so no group names a user that answers 404; a group deleted meanwhile has
      // nothing left to clean up.
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
}

/** Whether every operation targets a group's `members` (so applying them needs none of its attributes). */
function membersOnly(type: ResourceTypeName, operations: PatchOperation[]): boolean {
  return (
    type === 'Group' &&
    operations.length > 0 &&
    operations.every(
      ({ path, expectId }) =>
        expectId === undefined &&
        path !== undefined &&
        path.subAttribute === undefined &&
        path.attribute.subAttribute === undefined &&
        sameName(path.attribute.attribute, 'members') &&
        (path.attribute.schema === undefined || sameName(path.attribute.schema, GROUP_SCHEMA)),
    )
  );
}

/** Only server-issued ids name resources; anything else is a 404 that never reaches the store. */
function assertResourceId(type: ResourceTypeName, id: string): void {
  if (!isResourceId(id)) throw notFound(`${type} ${excerpt(id)} not found`);
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
