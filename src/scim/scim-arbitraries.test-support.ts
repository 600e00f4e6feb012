/** fast-check arbitraries for the property tests of the SCIM core: filters, bodies and PATCH requests. */

import fc from 'fast-check';
import { ENTERPRISE_USER_SCHEMA, limits, type ResourceTypeName } from './schemas.ts';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

export const attributePaths = fc.constantFrom(
  'userName',
  'UserName',
  'displayName',
  'title',
  'active',
  'emails',
  'emails.value',
  'emails.type',
  'emails.primary',
  'name.givenName',
  'roles',
  'roles.value',
  'members',
  'members.value',
  'groups',
  'meta.lastModified',
  'meta.created',
  'id',
  'externalId',
  'manager',
  `${ENTERPRISE_USER_SCHEMA}:manager.value`,
  `${ENTERPRISE_USER_SCHEMA}:department`,
  'urn:ietf:params:scim:schemas:core:2.0:User:userName',
  'favouriteColour',
  'a.b.c',
  '',
);
export const operators = fc.constantFrom('eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le', 'EQ', 'And', 'pr', 'xx');
export const literals = fc.oneof(
  fc.string({ maxLength: 20 }).map((s) => JSON.stringify(s)),
  fc.constantFrom('true', 'false', 'null', '"True"', '42', '-1.5e3', '"2026-01-01T00:00:00Z"', 'jyoung', '"\\u00e9"'),
  fc.constantFrom('"."', '".."', '"5d3f0c1e-2b4a-4c6d-8e9f-0a1b2c3d4e5f"', '"\\"', '"DOMAIN\\jdoe"'),
);

/** Filters from the RFC 7644 grammar, with a share of deliberate mistakes, up to the term and depth caps. */
export const grammarFilters = fc.letrec((tie) => ({
  term: fc.oneof(
    fc.tuple(attributePaths, fc.constant('pr')).map(([path]) => `${path} pr`),
    fc.tuple(attributePaths, operators, literals).map(([path, op, value]) => `${path} ${op} ${value}`),
    fc
      .tuple(fc.constantFrom('emails', 'members', 'roles', 'title', 'name'), tie('filter'))
      .map(([path, inner]) => `${path}[${inner}]`),
  ),
  filter: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    tie('term'),
    fc.tuple(tie('filter'), fc.constantFrom(' and ', ' or ', ' AND ', ' '), tie('filter')).map((p) => p.join('')),
    tie('filter').map((f) => `not (${f})`),
    tie('filter').map((f) => `(${f})`),
  ),
})).filter as fc.Arbitrary<string>;

/** Grammar filters with a few characters changed, inserted or cut: the parser's error paths. */
export const mangledFilters = fc
  .tuple(grammarFilters, fc.nat(), fc.constantFrom('', '(', ')', '[', ']', '"', '\\', ' ', '.', ':'))
  .map(([text, at, insert]) => {
    const i = text.length === 0 ? 0 : at % text.length;
    return text.slice(0, i) + insert + text.slice(i + (at % 3));
  });

export const jsonValues = fc.jsonValue({ maxDepth: 3 });
export const attributeNames = fc.constantFrom(
  'userName',
  'displayName',
  'active',
  'emails',
  'roles',
  'members',
  'name',
  'name.givenName',
  'addresses',
  'manager',
  'id',
  'meta',
  'schemas',
  'groups',
  'password',
  ENTERPRISE_USER_SCHEMA,
  `${ENTERPRISE_USER_SCHEMA}:manager`,
  'urn:ietf:params:scim:schemas:core:2.0:User:nickName',
);
export const bodies = fc.dictionary(attributeNames, jsonValues, { maxKeys: 8 });

export const patchPaths = fc.oneof(
  attributePaths,
  fc.constantFrom(
    'emails[type eq "work"].value',
    'members[value eq "5d3f0c1e-2b4a-4c6d-8e9f-0a1b2c3d4e5f"]',
    'members[value eq "."]',
    'roles[primary eq "True"].value',
    'manager[value eq "x"]',
    ENTERPRISE_USER_SCHEMA,
    'name.familyName',
  ),
);
export const patchOperations = fc.record(
  {
    op: fc.constantFrom('add', 'Add', 'replace', 'Replace', 'remove', 'REMOVE', 'move'),
    path: patchPaths,
    value: fc.oneof(jsonValues, bodies, fc.array(fc.record({ value: fc.string({ maxLength: 8 }) }), { maxLength: 40 })),
  },
  { requiredKeys: ['op'] },
);
/** Operations shaped as IdPs send them, so that most requests apply and the engine, not the normaliser, is tested. */
export const text = fc.string({ minLength: 1, maxLength: 12 });
export const wellFormedOperations = fc.oneof(
  fc.record({ op: fc.constantFrom('add', 'replace'), path: fc.constantFrom('title', 'nickName'), value: text }),
  fc.record({ op: fc.constant('Replace'), path: fc.constant('active'), value: fc.constantFrom(true, 'False', 'true') }),
  fc.record({
    op: fc.constantFrom('add', 'replace'),
    path: fc.constantFrom('roles', 'entitlements'),
    value: fc.array(fc.record({ value: text }), { maxLength: limits.maxValuesPerAttribute }),
  }),
  fc.record({
    op: fc.constantFrom('add', 'replace'),
    path: fc.constant('emails'),
    value: fc.uniqueArray(fc.record({ value: text, type: fc.constantFrom('work', 'home', 'other') }), {
      selector: (email) => email.type,
      maxLength: 3,
    }),
  }),
  fc.record({ op: fc.constant('replace'), path: fc.constant('emails[type eq "work"].value'), value: text }),
  fc.record({ op: fc.constant('replace'), path: fc.constant('name.givenName'), value: text }),
  fc.record({ op: fc.constant('remove'), path: fc.constantFrom('title', 'roles', 'emails[type eq "home"]', 'name') }),
  text.map((value) => ({ op: 'remove', path: `roles[value eq ${JSON.stringify(value)}]` })),
  fc.record({ op: fc.constant('replace'), value: fc.record({ displayName: text, 'name.familyName': text }) }),
);
export const patchBodies = fc.oneof(
  fc.record({
    schemas: fc.constantFrom([PATCH_OP], ['urn:wrong'], undefined),
    Operations: fc.array(patchOperations, { maxLength: 12 }),
  }),
  fc.record({
    schemas: fc.constant([PATCH_OP]),
    Operations: fc.array(wellFormedOperations, { minLength: 1, maxLength: 12 }),
  }),
);
export const types = fc.constantFrom<ResourceTypeName>('User', 'Group');

// ---- Properties ----
