/**
 * Listing with a filter (RFC 7644 section 3.4.2): the filter is planned into a store lookup, the candidates are
 * judged on their documents, and the page is built within the caps of `limits` (see `operations.ts` for why).
 */

import { invalidFilter, tooMany } from './errors.ts';
import type { Filter } from './filter.ts';
import { matchesFilter } from './filter-evaluator.ts';
import { parseFilter } from './filter-parser.ts';
import { planQuery } from './filter-planner.ts';
import { type ListResponse, listResponse, type PageRequest, pageOf, resolvePage } from './list-response.ts';
import { type MemberTests, memberTests } from './member-filter.ts';
import { assertProjectionWithinLimits, isReturned, type ProjectionOptions } from './projection.ts';
import { type AnswerDeps, answer } from './resource-answer.ts';
import { buildResourceDocument } from './resource-document.ts';
import { isResourceId } from './resource-id.ts';
import { limits, type ResourceTypeName } from './schemas.ts';
import type { ScimStore, StoreContext, StoredMember, StoredResource } from './store.ts';

export interface ListQuery extends PageRequest, ProjectionOptions {
  filter?: string;
}

export interface ListDeps extends AnswerDeps {
  /** Largest page. */
  maxResults: number;
}

export async function listResources(
  deps: ListDeps,
  ctx: StoreContext,
  type: ResourceTypeName,
  query: ListQuery = {},
): Promise<ListResponse> {
  const { store, maxResults } = deps;
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
  const matched = filter ? await filterResources(deps, ctx, type, candidates, filter, members) : candidates;
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
    resources.push((await answer(deps, ctx, type, stored, projection, members ? { members } : {})).document);
  }
  return listResponse(resources, matched.length, page.startIndex);
}

/**
 * Resources matching `filter`, judged on their documents. Groups get the members the filter's id equalities name,
 * from the membership index, or their full member lists when it tests members otherwise (the caller bounds how
 * many); Users get `groups` only when the filter names it.
 */
async function filterResources(
  deps: ListDeps,
  ctx: StoreContext,
  type: ResourceTypeName,
  candidates: StoredResource[],
  filter: Filter,
  memberFilter: MemberTests,
): Promise<StoredResource[]> {
  const { store, baseUrl } = deps;
  const named = memberFilter.kind === 'ids' ? await namedMembers(store, ctx, memberFilter.ids) : undefined;
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
async function namedMembers(store: ScimStore, ctx: StoreContext, ids: string[]): Promise<Map<string, StoredMember[]>> {
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

/** Group listings leave `members` out unless `attributes` names them (see the decisions above). */
function listingProjection(type: ResourceTypeName, query: ProjectionOptions): ProjectionOptions {
  if (type !== 'Group') return query;
  if (query.attributes?.length && isReturned(type, 'members', { attributes: query.attributes })) return query;
  return { ...query, excludedAttributes: [...(query.excludedAttributes ?? []), 'members'] };
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
