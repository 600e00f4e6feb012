/**
 * The most expensive request of each kind the endpoint accepts at its caps (`limits`), and the ones the review found
 * that it must refuse, as data and as calls into the pure core. `bench/worst-requests.ts` measures their CPU cost and
 * `src/http/event-loop.test.ts` sends them over HTTP while watching the event loop. Bodies stay under
 * `limits.maxBodyBytes`, as the HTTP adapter would require.
 */

import { ScimError } from './errors.ts';
import { matchesFilter } from './filter-evaluator.ts';
import { parseFilter } from './filter-parser.ts';
import { planQuery } from './filter-planner.ts';
import { assertMemberIds } from './group-members.ts';
import { normaliseResource } from './normalise-resource.ts';
import { applyPatch } from './patch.ts';
import { normalisePatchRequest } from './patch-request.ts';
import { project } from './projection.ts';
import { buildResourceDocument } from './resource-document.ts';
import { ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, limits, type ResourceTypeName, USER_SCHEMA } from './schemas.ts';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const BASE_URL = 'https://scim.example.test/scim/v2';

const values = (count: number, prefix: string) =>
  Array.from({ length: count }, (_, i) => ({ value: `${prefix}-${i}`, display: `${prefix} ${i}`, type: 'app' }));
/** Deterministic UUID-shaped ids, so runs are comparable. */
export const memberId = (i: number) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
const members = (count: number, from = 0) => Array.from({ length: count }, (_, i) => ({ value: memberId(from + i) }));
const patch = (operations: unknown[]) => ({ schemas: [PATCH_OP], Operations: operations });

/** A full list of values with only `value`: short, so that the worst PATCH still fits in maxBodyBytes. */
const short = (prefix: string) => values(limits.maxValuesPerAttribute, prefix).map(({ value }) => ({ value }));

/** A stored user with every multi-valued attribute full: what the worst PATCH works on. */
export function fullUser(): Record<string, unknown> {
  return {
    userName: 'worst@example.com',
    displayName: 'Worst Case',
    active: true,
    emails: Array.from({ length: limits.maxValuesPerAttribute }, (_, i) => ({ value: `e${i}@example.com` })),
    roles: short('role'),
    entitlements: short('entitlement'),
    [ENTERPRISE_USER_SCHEMA]: { employeeNumber: '7', manager: { value: memberId(1) } },
  };
}

/** maxPatchOperations operations, each naming a full list of values: replace, re-add, filtered remove, in turn. */
export function userPatchAtCaps(): unknown {
  const full = short('role');
  const operations = Array.from({ length: limits.maxPatchOperations }, (_, i) => {
    switch (i % 4) {
      case 0:
        return { op: 'replace', path: 'roles', value: full };
      case 1:
        return { op: 'add', path: 'roles', value: full };
      case 2:
        return { op: 'add', path: 'entitlements', value: short('entitlement') };
      default:
        return { op: 'remove', path: `roles[value eq "role-${i % limits.maxValuesPerAttribute}"]` };
    }
  });
  return patch(operations);
}

/** The review's request: two `add roles` of 12,000 values each (about 480 KB). Refused. */
export function userPatchOverCap(): unknown {
  return patch([
    { op: 'add', path: 'roles', value: values(12_000, 'a').map(({ value }) => ({ value })) },
    { op: 'add', path: 'roles', value: values(12_000, 'b').map(({ value }) => ({ value })) },
  ]);
}

/** maxMembersPerRequest members named by one add and by removal filters of maxFilterTerms terms each. */
export function groupPatchAtCaps(): unknown {
  const terms = limits.maxFilterTerms;
  const removals = Math.floor(limits.maxMembersPerRequest / 2 / terms);
  const added = limits.maxMembersPerRequest - removals * terms;
  const operations: unknown[] = [{ op: 'add', path: 'members', value: members(added) }];
  for (let r = 0; r < removals; r++) {
    const ids = Array.from({ length: terms }, (_, t) => `value eq "${memberId(10_000 + r * terms + t)}"`);
    operations.push({ op: 'remove', path: `members[${ids.join(' or ')}]` });
  }
  return patch(operations);
}

export function groupPostAtCaps(): unknown {
  return { schemas: [GROUP_SCHEMA], displayName: 'Worst', members: members(limits.maxMembersPerRequest) };
}

/** About 20,000 unknown member ids in under 1 MiB. Refused. */
export function groupPostOverCap(): unknown {
  return { schemas: [GROUP_SCHEMA], displayName: 'Flood', members: members(20_000) };
}

export function userPostAtCaps(): unknown {
  const many = (prefix: string) => values(limits.maxValuesPerAttribute, prefix).map(({ value }) => ({ value }));
  return {
    schemas: [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
    userName: 'worst-post@example.com',
    emails: many('mail'),
    phoneNumbers: many('phone'),
    ims: many('im'),
    photos: many('https://example.com/photo'),
    entitlements: many('entitlement'),
    roles: many('role'),
    addresses: Array.from({ length: limits.maxAddresses }, (_, i) => ({ streetAddress: `${i} Main St` })),
  };
}

/** maxFilterTerms terms, value filters and nesting, padded with a long literal to maxFilterLength characters. */
export function filterAtCaps(): string {
  // Two terms are added below; a value filter counts its two comparisons.
  const terms: string[] = [];
  for (let used = 0, i = 0; used < limits.maxFilterTerms - 2; i++) {
    const valueFilter = i % 3 === 0 && used + 2 <= limits.maxFilterTerms - 2;
    terms.push(
      valueFilter ? `emails[type eq "work" and value co "x${i}"]` : i % 3 === 1 ? `roles.value sw "r${i}"` : 'title pr',
    );
    used += valueFilter ? 2 : 1;
  }
  const body = `(${terms.join(' or ')}) and not (userName eq "nobody")`;
  const literal = 'y'.repeat(limits.maxFilterLength - body.length - ' or displayName ew ""'.length);
  return `${body} or displayName ew "${literal}"`;
}

/** A 4,096-character filter of about 450 terms. Refused. */
export function filterOverCap(): string {
  let filter = 'userName eq "a"';
  while (filter.length + 9 <= limits.maxFilterLength) filter += ' or ti pr';
  return filter;
}

export function projectionAtCaps(): string[] {
  const names = ['userName', 'name.givenName', 'emails.value', 'roles', `${ENTERPRISE_USER_SCHEMA}:manager`];
  return Array.from({ length: limits.maxProjectionAttributes }, (_, i) => names[i % names.length]!);
}

/** `count` stored users' documents, as a listing sees them. */
export function userDocuments(count: number): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) =>
    buildResourceDocument(
      'User',
      {
        id: memberId(i),
        version: '1',
        created: '2026-01-01T00:00:00Z',
        lastModified: '2026-01-01T00:00:00Z',
        attributes: { ...fullUser(), userName: `user-${i}@example.com` },
      },
      { baseUrl: BASE_URL },
    ),
  );
}

/** Runs `core`, returning the ScimError it throws, if any: a refusal is an answer, anything else is a bug. */
export function answerOf(core: () => unknown): ScimError | undefined {
  try {
    core();
    return undefined;
  } catch (err) {
    if (err instanceof ScimError) return err;
    throw err;
  }
}

/** What the core does with a PATCH body before the store writes: normalise, check member ids, apply. */
export function corePatch(type: ResourceTypeName, current: Record<string, unknown>, body: unknown): void {
  const operations = normalisePatchRequest(type, body);
  assertMemberIds(type, operations);
  applyPatch(type, current, operations, memberId(0));
}

/** What a listing does with a filter: parse, plan, evaluate against every candidate. */
export function coreFilter(text: string, documents: Record<string, unknown>[]): number {
  const filter = parseFilter(text);
  planQuery(filter, 'User');
  return documents.filter((document) => matchesFilter(filter, document, 'User')).length;
}

export function coreProjection(attributes: string[], documents: Record<string, unknown>[]): void {
  for (const document of documents) project(document, 'User', { attributes });
}

export { normaliseResource };
