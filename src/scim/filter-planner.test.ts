import { describe, expect, it } from 'vitest';
import { matchesFilter } from './filter-evaluator.ts';
import { entraUser, group, oktaUser } from './filter-fixtures.test-support.ts';
import { parseFilter } from './filter-parser.ts';
import { planQuery } from './filter-planner.ts';
import { ENTERPRISE_USER_SCHEMA, type ResourceTypeName, USER_SCHEMA } from './schemas.ts';
import { scimErrorOf } from './scim-error-of.test-support.ts';
import type { QueryPlan } from './store.ts';

const ENTERPRISE = ENTERPRISE_USER_SCHEMA;

describe('planQuery', () => {
  it.each<{ name: string; filter: string; type?: ResourceTypeName; expected: QueryPlan }>([
    {
      name: "plans Entra's userName eq as an index lookup with the literal as given",
      filter: 'userName eq "Test_User_00aa00aa"',
      expected: { kind: 'eq', attribute: 'userName', value: 'Test_User_00aa00aa' },
    },
    {
      name: 'plans an upper-case attribute and operator like the canonical form',
      filter: 'USERNAME EQ "X"',
      expected: { kind: 'eq', attribute: 'userName', value: 'X' },
    },
    {
      name: 'plans a core-URN-qualified userName',
      filter: `${USER_SCHEMA}:userName eq "x"`,
      expected: { kind: 'eq', attribute: 'userName', value: 'x' },
    },
    {
      name: 'plans id eq',
      filter: 'id eq "5d3f0c1e-2b4a-4c6d-8e9f-0a1b2c3d4e5f"',
      expected: { kind: 'eq', attribute: 'id', value: '5d3f0c1e-2b4a-4c6d-8e9f-0a1b2c3d4e5f' },
    },
    { name: 'plans id eq of what is not a resource id as none', filter: 'id eq "."', expected: { kind: 'none' } },
    {
      name: 'plans id eq ".." joined by and as none',
      filter: 'id eq ".." and userName pr',
      expected: { kind: 'none' },
    },
    {
      name: "plans Entra's unquoted externalId eq jyoung",
      filter: 'externalId eq jyoung',
      expected: { kind: 'eq', attribute: 'externalId', value: 'jyoung' },
    },
    {
      name: 'plans a bare number as its decimal text, as matchesFilter compares it',
      filter: 'externalId eq 12345',
      expected: { kind: 'eq', attribute: 'externalId', value: '12345' },
    },
    {
      name: 'plans displayName eq on Groups',
      filter: 'displayName eq "Tour Guides"',
      type: 'Group',
      expected: { kind: 'eq', attribute: 'displayName', value: 'Tour Guides' },
    },
    {
      name: 'plans externalId eq on Groups',
      filter: 'externalId eq "8aa1"',
      type: 'Group',
      expected: { kind: 'eq', attribute: 'externalId', value: '8aa1' },
    },
    {
      name: 'scans for displayName eq on Users, where displayName is not indexed',
      filter: 'displayName eq "x"',
      expected: { kind: 'all' },
    },
    {
      name: 'plans emails.value eq',
      filter: 'emails.value eq "a@x"',
      expected: { kind: 'eq', attribute: 'emails.value', value: 'a@x' },
    },
    {
      name: 'plans Entra\'s emails[type eq "work"].value eq as emails.value',
      filter: 'emails[type eq "work"].value eq "user@contoso.com"',
      expected: { kind: 'eq', attribute: 'emails.value', value: 'user@contoso.com' },
    },
    {
      name: 'plans emails eq, which compares the value of each element, as emails.value',
      filter: 'emails eq "a@x"',
      expected: { kind: 'eq', attribute: 'emails.value', value: 'a@x' },
    },
    { name: 'scans for a value path without value eq', filter: 'emails[type eq "work"]', expected: { kind: 'all' } },
    {
      name: 'scans for a value path whose value eq sits under or',
      filter: 'emails[type eq "work" or value eq "a@x"]',
      expected: { kind: 'all' },
    },
    {
      name: 'scans for emails.value eq on Groups, which have no emails',
      filter: 'members[value eq "x"]',
      type: 'Group',
      expected: { kind: 'all' },
    },
    {
      name: 'plans an and by its indexed operand when it comes second',
      filter: 'active eq true and userName eq "x"',
      expected: { kind: 'eq', attribute: 'userName', value: 'x' },
    },
    {
      name: "plans Entra's id eq and manager eq reference check by id",
      filter: 'id eq 54D382A4-2050-4C03-94D1-E769F1D15682 and manager eq 2819c223',
      expected: { kind: 'eq', attribute: 'id', value: '54D382A4-2050-4C03-94D1-E769F1D15682' },
    },
    {
      name: 'scans for or, which may match outside either lookup',
      filter: 'userName eq "a" or userName eq "b"',
      expected: { kind: 'all' },
    },
    {
      name: 'scans for not eq, the complement of a lookup',
      filter: 'not (userName eq "a")',
      expected: { kind: 'all' },
    },
    { name: 'scans for ne', filter: 'userName ne "a"', expected: { kind: 'all' } },
    { name: 'scans for co', filter: 'userName co "a"', expected: { kind: 'all' } },
    { name: 'scans for sw on an indexed attribute', filter: 'userName sw "a"', expected: { kind: 'all' } },
    { name: 'scans for pr', filter: 'userName pr', expected: { kind: 'all' } },
    { name: 'scans for eq null, which means absent', filter: 'externalId eq null', expected: { kind: 'all' } },
    {
      name: 'scans for an extension attribute',
      filter: `${ENTERPRISE}:employeeNumber eq "1"`,
      expected: { kind: 'all' },
    },
    {
      name: 'plans nothing for a filter on an unknown attribute, which never matches',
      filter: 'favouriteColour eq "x"',
      expected: { kind: 'none' },
    },
    {
      name: 'plans nothing for an and with an unknown operand',
      filter: 'userName eq "x" and favouriteColour eq "x"',
      expected: { kind: 'none' },
    },
    {
      name: 'plans the other side of an or with an unknown operand',
      filter: 'favouriteColour eq "x" or userName eq "x"',
      expected: { kind: 'eq', attribute: 'userName', value: 'x' },
    },
    {
      name: 'scans for not of an unknown attribute, which matches everything',
      filter: 'not (favouriteColour pr)',
      expected: { kind: 'all' },
    },
    {
      name: 'plans nothing for userName on Groups',
      filter: 'userName eq "x"',
      type: 'Group',
      expected: { kind: 'none' },
    },
  ])('$name', ({ filter, type = 'User', expected }) => {
    expect(planQuery(parseFilter(filter), type)).toStrictEqual(expected);
  });

  it('rejects an operator that does not fit the type even when no resource would be evaluated', () => {
    const error = scimErrorOf(() => planQuery(parseFilter('userName eq "x" and active gt true'), 'User'));
    expect(error.scimType).toBe('invalidFilter');
  });

  it('rejects a misfit operator on the short-circuited side of an or', () => {
    expect(() => planQuery(parseFilter('userName pr or meta.created co "2018"'), 'User')).toThrow(/strings only/);
  });

  it('rejects a misfit operator inside a value path', () => {
    expect(() => planQuery(parseFilter('roles[primary lt true]'), 'User')).toThrow(/'lt' cannot be used on 'primary'/);
  });

  const corpus: { type: ResourceTypeName; resource: Record<string, unknown> }[] = [
    { type: 'User', resource: entraUser },
    { type: 'User', resource: oktaUser },
    { type: 'Group', resource: group },
  ];
  const filters = [
    'userName eq "TEST.USER@OKTA.LOCAL"',
    'emails[type eq "work"].value eq "TEST.user@okta.local"',
    'emails eq "joy@home.example"',
    'externalId eq 00ujl29u0le5T6Aj10h7 and active eq false',
    'active eq true and displayName eq "Test User" or userName eq "test.user@okta.local"',
    'not (userName eq "nobody") and id eq "2441309d-8532-4e77-93ae-2441309d8532"',
    'displayName eq "TOUR GUIDES"',
    'favouriteColour eq "x" or id eq "927fa2c0-8dcb-4a7f-ae9e-927fa2c08dcb"',
    'members[value eq "2441309d-8532-4e77-93ae-2441309d8532"] and displayName pr',
  ];

  it.each(filters)('plans a superset of what matches: %s', (text) => {
    const filter = parseFilter(text);
    for (const { type, resource } of corpus) {
      if (!matchesFilter(filter, resource, type)) continue;
      const plan = planQuery(filter, type);
      expect(plan.kind).not.toBe('none');
      if (plan.kind !== 'eq') continue;
      const indexed: Record<string, unknown> = {
        ...resource,
        'emails.value': (resource.emails as { value: string }[] | undefined)?.map((e) => e.value),
      };
      const stored = [indexed[plan.attribute]].flat().map((v) => String(v).toLowerCase());
      expect(stored).toContain(plan.value.toLowerCase());
    }
  });
});
