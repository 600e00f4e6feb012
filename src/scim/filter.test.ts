import { describe, expect, it } from 'vitest';
import type { Filter } from './filter.ts';
import { matchesFilter } from './filter-evaluator.ts';
import { parseFilter } from './filter-parser.ts';
import { planQuery } from './filter-planner.ts';
import type { ResourceTypeName } from './schemas.ts';
import { ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, limits, USER_SCHEMA } from './schemas.ts';
import { scimErrorOf } from './scim-error-of.test-support.ts';
import type { QueryPlan } from './store.ts';

const ENTERPRISE = ENTERPRISE_USER_SCHEMA;

/** The user of Entra's Get User by query example, with the enterprise extension, roles and an address added. */
const entraUser = {
  schemas: [USER_SCHEMA, ENTERPRISE],
  id: '2441309d-8532-4e77-93ae-2441309d8532',
  externalId: '7fce0092-d52e-4f76-b727-3955bd72c939',
  meta: {
    resourceType: 'User',
    created: '2018-03-27T19:59:26.000Z',
    lastModified: '2018-03-27T19:59:26.000Z',
    location: 'https://scim.example.com/Users/2441309d-8532-4e77-93ae-2441309d8532',
    version: 'W/"1"',
  },
  userName: 'Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee',
  name: { familyName: 'familyName', givenName: 'givenName' },
  displayName: 'Joy Young',
  title: '',
  active: true,
  emails: [
    { value: 'Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com', type: 'work', primary: true },
    { value: 'joy@home.example', type: 'home' },
  ],
  addresses: [{ type: 'work', streetAddress: '1 Main St', locality: 'Springfield' }],
  roles: [{ value: 'Admin', display: 'Administrator', type: 'WindowsAzureActiveDirectoryRole', primary: true }],
  phoneNumbers: [],
  [ENTERPRISE]: {
    employeeNumber: '701984',
    department: 'Tour Operations',
    manager: { value: '2819c223-7f76-453a-919d-413861904646', displayName: 'John Smith' },
  },
};

/** Okta's created user, deactivated, without extension. */
const oktaUser = {
  schemas: [USER_SCHEMA],
  id: 'b7c1d3e5f7091a2b3c4d',
  externalId: '00ujl29u0le5T6Aj10h7',
  meta: { resourceType: 'User', created: '2024-01-02T03:04:05Z', lastModified: '2025-06-01T00:00:00Z' },
  userName: 'test.user@okta.local',
  name: { givenName: 'Test', familyName: 'User' },
  displayName: 'Test User',
  locale: 'en-US',
  active: false,
  emails: [{ primary: true, value: 'test.user@okta.local', type: 'work' }],
};

const group = {
  schemas: [GROUP_SCHEMA],
  id: '927fa2c0-8dcb-4a7f-ae9e-927fa2c08dcb',
  externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159',
  meta: { resourceType: 'Group', created: '2020-01-01T00:00:00Z', lastModified: '2020-01-01T00:00:00Z' },
  displayName: 'Tour Guides',
  members: [
    { value: '2441309d-8532-4e77-93ae-2441309d8532', type: 'User' },
    { value: 'b7c1d3e5f7091a2b3c4d', type: 'User' },
  ],
};

const eq = (attribute: string, value: string | number | boolean | null): Filter => ({
  op: 'eq',
  path: { attribute },
  value,
});

describe('parseFilter', () => {
  it.each<{ name: string; text: string; expected: Filter }>([
    {
      name: "reads Entra's userName eq query",
      text: 'userName eq "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee"',
      expected: eq('userName', 'Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee'),
    },
    {
      name: 'reads operators and attribute names in any case',
      text: 'DisplayName EQ "x"',
      expected: eq('displayName', 'x'),
    },
    {
      name: 'reads a sub-attribute name in any case',
      text: 'name.FamilyName eq "x"',
      expected: { op: 'eq', path: { attribute: 'name', subAttribute: 'familyName' }, value: 'x' },
    },
    {
      name: 'reads Entra\'s unquoted value "externalId eq jyoung" as a string',
      text: 'externalId eq jyoung',
      expected: eq('externalId', 'jyoung'),
    },
    {
      name: "reads Entra's unquoted reference check on id and manager",
      text: 'id eq 54D382A4-2050-4C03-94D1-E769F1D15682 and manager eq 2819c223-7f76-453a-919d-413861904646',
      expected: {
        op: 'and',
        left: eq('id', '54D382A4-2050-4C03-94D1-E769F1D15682'),
        right: eq('manager', '2819c223-7f76-453a-919d-413861904646'),
      },
    },
    {
      name: 'reads a bare number-like word as a number',
      text: 'externalId eq 12345',
      expected: eq('externalId', 12345),
    },
    {
      name: 'reads a bare word with leading zeros as a string, since it is no JSON number',
      text: 'externalId eq 007',
      expected: eq('externalId', '007'),
    },
    {
      name: 'reads negative decimals with exponents',
      text: 'x gt -1.5e3',
      expected: { op: 'gt', path: { attribute: 'x' }, value: -1500 },
    },
    { name: 'reads true', text: 'active eq true', expected: eq('active', true) },
    { name: 'reads False in any case as a boolean', text: 'active eq False', expected: eq('active', false) },
    { name: 'reads null', text: 'title eq null', expected: eq('title', null) },
    {
      name: 'keeps the quoted "True" a string, for the comparison to interpret',
      text: 'active eq "True"',
      expected: eq('active', 'True'),
    },
    { name: 'reads pr', text: 'title PR', expected: { op: 'pr', path: { attribute: 'title' } } },
    ...(['ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'] as const).map((op) => ({
      name: `reads the ${op} operator`,
      text: `userName ${op.toUpperCase()} "a"`,
      expected: { op, path: { attribute: 'userName' }, value: 'a' } as Filter,
    })),
    {
      name: 'binds and tighter than or',
      text: 'a eq 1 or b eq 2 and c eq 3',
      expected: { op: 'or', left: eq('a', 1), right: { op: 'and', left: eq('b', 2), right: eq('c', 3) } },
    },
    {
      name: 'binds and tighter than or when and comes first',
      text: 'a eq 1 and b eq 2 or c eq 3',
      expected: { op: 'or', left: { op: 'and', left: eq('a', 1), right: eq('b', 2) }, right: eq('c', 3) },
    },
    {
      name: 'lets parentheses override precedence',
      text: 'a eq 1 and (b eq 2 or c eq 3)',
      expected: { op: 'and', left: eq('a', 1), right: { op: 'or', left: eq('b', 2), right: eq('c', 3) } },
    },
    {
      name: 'associates a chain of or to the left',
      text: 'a eq 1 or b eq 2 or c eq 3',
      expected: { op: 'or', left: { op: 'or', left: eq('a', 1), right: eq('b', 2) }, right: eq('c', 3) },
    },
    {
      name: 'binds not to its parenthesised group only',
      text: 'not (a eq 1) and b eq 2',
      expected: { op: 'and', left: { op: 'not', filter: eq('a', 1) }, right: eq('b', 2) },
    },
    {
      name: 'reads NOT in capitals, with an inner logical expression',
      text: 'NOT (a eq 1 or b eq 2)',
      expected: { op: 'not', filter: { op: 'or', left: eq('a', 1), right: eq('b', 2) } },
    },
    {
      name: 'reads nested parentheses',
      text: '((a eq 1) or ((b eq 2)))',
      expected: { op: 'or', left: eq('a', 1), right: eq('b', 2) },
    },
    {
      name: 'reads a value path',
      text: 'emails[type eq "work"]',
      expected: { op: 'valuePath', path: { attribute: 'emails' }, filter: eq('type', 'work') },
    },
    {
      name: 'reads Entra\'s emails[type eq "work"].value eq as one condition on the same element',
      text: 'emails[type eq "work"].value eq "user@contoso.com"',
      expected: {
        op: 'valuePath',
        path: { attribute: 'emails' },
        filter: { op: 'and', left: eq('type', 'work'), right: eq('value', 'user@contoso.com') },
      },
    },
    {
      name: 'respells attribute names inside and after a value path relative to the outer attribute',
      text: 'EMAILS[TYPE eq "work"].VALUE pr',
      expected: {
        op: 'valuePath',
        path: { attribute: 'emails' },
        filter: { op: 'and', left: eq('type', 'work'), right: { op: 'pr', path: { attribute: 'value' } } },
      },
    },
    {
      name: 'reads a logical filter inside a value path',
      text: 'emails[type eq "work" and not (value ew ".org")]',
      expected: {
        op: 'valuePath',
        path: { attribute: 'emails' },
        filter: {
          op: 'and',
          left: eq('type', 'work'),
          right: { op: 'not', filter: { op: 'ew', path: { attribute: 'value' }, value: '.org' } },
        },
      },
    },
    {
      name: 'reads a value path combined with other conditions',
      text: 'userName eq "a" and emails[value co "@x"]',
      expected: {
        op: 'and',
        left: eq('userName', 'a'),
        right: {
          op: 'valuePath',
          path: { attribute: 'emails' },
          filter: { op: 'co', path: { attribute: 'value' }, value: '@x' },
        },
      },
    },
    {
      name: 'reads not directly followed by its parenthesis',
      text: 'not(userName eq "a")',
      expected: { op: 'not', filter: eq('userName', 'a') },
    },
    {
      name: 'ends a value path condition before a following and',
      text: 'emails[type eq "work"].value eq "x" and active eq true',
      expected: {
        op: 'and',
        left: {
          op: 'valuePath',
          path: { attribute: 'emails' },
          filter: { op: 'and', left: eq('type', 'work'), right: eq('value', 'x') },
        },
        right: eq('active', true),
      },
    },
    {
      name: 'reads a URN-qualified attribute',
      text: `${ENTERPRISE}:employeeNumber eq "701984"`,
      expected: { op: 'eq', path: { schema: ENTERPRISE, attribute: 'employeeNumber' }, value: '701984' },
    },
    {
      name: 'reads a URN-qualified sub-attribute',
      text: `${ENTERPRISE}:manager.value eq "m"`,
      expected: { op: 'eq', path: { schema: ENTERPRISE, attribute: 'manager', subAttribute: 'value' }, value: 'm' },
    },
    {
      name: 'keeps colons inside a quoted value out of the attribute path',
      text: `${GROUP_SCHEMA}:members[value eq "urn:x:y"]`,
      expected: {
        op: 'valuePath',
        path: { schema: GROUP_SCHEMA, attribute: 'members' },
        filter: eq('value', 'urn:x:y'),
      },
    },
    {
      name: 'decodes the JSON escapes \\" \\\\ \\/ and \\u00e9 in strings',
      text: String.raw`displayName eq "say \"hi\" \\ a\/b Ren\u00e9e"`,
      expected: eq('displayName', 'say "hi" \\ a/b Renée'),
    },
    {
      name: 'keeps an unknown escape such as DOMAIN\\jdoe literally',
      text: String.raw`userName eq "DOMAIN\jdoe"`,
      expected: eq('userName', 'DOMAIN\\jdoe'),
    },
    {
      name: 'keeps +, #EXT# and non-ASCII characters of quoted values',
      text: 'userName eq "a+b_contoso.com#EXT#@tenant.onmicrosoft.com" or displayName eq "Zoë 山田"',
      expected: {
        op: 'or',
        left: eq('userName', 'a+b_contoso.com#EXT#@tenant.onmicrosoft.com'),
        right: eq('displayName', 'Zoë 山田'),
      },
    },
    {
      name: 'keeps brackets and parentheses inside quoted values',
      text: 'displayName eq "a (b) [c]"',
      expected: eq('displayName', 'a (b) [c]'),
    },
    {
      name: 'reads a filter whose + signs the HTTP layer decoded into several spaces',
      text: '  externalId   eq \t "x"  ',
      expected: eq('externalId', 'x'),
    },
    {
      name: 'reads a filter without spaces around parentheses and strings',
      text: '(userName eq"a")and(active eq true)',
      expected: { op: 'and', left: eq('userName', 'a'), right: eq('active', true) },
    },
    {
      name: "reads Okta's existence check with its trailing space",
      text: 'userName eq "test.user@okta.local" ',
      expected: eq('userName', 'test.user@okta.local'),
    },
    {
      name: 'reads the empty string',
      text: 'title eq ""',
      expected: eq('title', ''),
    },
  ])('$name', ({ text, expected }) => {
    expect(parseFilter(text)).toStrictEqual(expected);
  });

  it.each<{ name: string; text: string; message: RegExp }>([
    { name: 'rejects an empty filter', text: '', message: /empty/ },
    { name: 'rejects a filter of spaces only', text: '   ', message: /empty/ },
    {
      name: 'rejects an unknown operator and names the expected operators',
      text: 'userName equals "x"',
      message:
        /Expected a comparison operator \(eq, ne, co, sw, ew, gt, ge, lt, le\) or 'pr' after 'userName' at position 10, found 'equals'/,
    },
    {
      name: 'rejects a missing value',
      text: 'userName eq',
      message: /Expected a value .* at position 12, found the end/,
    },
    { name: 'rejects a missing operator', text: 'userName', message: /comparison operator .* found the end/ },
    { name: 'rejects a bracket as a value', text: 'userName eq )', message: /Expected a value .* position 13/ },
    { name: 'rejects an unterminated string', text: 'userName eq "abc', message: /closing '"'.*position 13/ },
    {
      name: 'rejects a string whose closing quote is escaped',
      text: String.raw`userName eq "abc\"`,
      message: /closing '"'/,
    },
    { name: 'rejects an unclosed parenthesis', text: '(userName eq "a"', message: /Expected 'and', 'or' or '\)'/ },
    {
      name: 'rejects a stray closing parenthesis',
      text: 'userName eq "a")',
      message: /end of the filter at position 16/,
    },
    { name: 'rejects not without parentheses', text: 'not userName eq "a"', message: /Expected '\(' after 'not'/ },
    { name: 'rejects a dangling and', text: 'userName eq "a" and', message: /attribute path .* found the end/ },
    { name: 'rejects a leading or', text: 'or userName eq "a"', message: /comparison operator/ },
    {
      name: 'rejects two values in a row',
      text: 'userName eq "a" "b"',
      message: /Expected 'and', 'or' .* found '"b"'/,
    },
    { name: 'rejects an unknown logical operator', text: 'a eq 1 xor b eq 2', message: /found 'xor'/ },
    { name: 'rejects an attribute name that starts with a digit', text: '1abc eq "x"', message: /attribute path/ },
    { name: 'rejects three-level attribute paths', text: 'a.b.c eq "x"', message: /at most one sub-attribute/ },
    { name: 'rejects a nested value path', text: 'emails[type[value eq "x"] eq "y"]', message: /cannot be nested/ },
    { name: 'rejects a value path on a sub-attribute', text: 'name.givenName[value eq "x"]', message: /sub-attribute/ },
    { name: 'rejects an unclosed value path', text: 'emails[type eq "work"', message: /Expected 'and', 'or' or '\]'/ },
    {
      name: 'rejects a comparison on a value path itself',
      text: 'emails[type eq "work"] eq "x"',
      message: /found 'eq'/,
    },
    { name: 'rejects an empty value path', text: 'emails[]', message: /attribute path .* found '\]'/ },
    { name: 'rejects a closing bracket without an opening one', text: 'emails] eq "x"', message: /position 7/ },
    {
      name: 'rejects a sub-attribute separated from its value path by a space',
      text: 'emails[type eq "work"] .value eq "x"',
      message: /found '\.value'/,
    },
    {
      name: 'rejects an invalid sub-attribute name after a value path',
      text: 'emails[type eq "work"].1x eq "x"',
      message: /sub-attribute name after '\]'/,
    },
    {
      name: 'rejects a value path without a condition after its sub-attribute',
      text: 'emails[type eq "work"].value',
      message: /comparison operator/,
    },
    { name: 'rejects a schema URN used as an attribute', text: `${USER_SCHEMA} eq "x"`, message: /names a schema/ },
  ])('$name, with scimType invalidFilter', ({ text, message }) => {
    const error = scimErrorOf(() => parseFilter(text));
    expect(error.status).toBe(400);
    expect(error.scimType).toBe('invalidFilter');
    expect(error.message).toMatch(message);
  });

  const nested = (depth: number) => `${'('.repeat(depth)}userName eq "a"${')'.repeat(depth)}`;

  it(`accepts nesting up to limits.maxFilterDepth (${limits.maxFilterDepth}) levels`, () => {
    expect(parseFilter(nested(limits.maxFilterDepth))).toStrictEqual(eq('userName', 'a'));
  });

  it('rejects nesting one level deeper than limits.maxFilterDepth with invalidFilter', () => {
    const error = scimErrorOf(() => parseFilter(nested(limits.maxFilterDepth + 1)));
    expect(error.scimType).toBe('invalidFilter');
    expect(error.message).toMatch(
      `deeper than ${limits.maxFilterDepth} levels at position ${limits.maxFilterDepth + 1}`,
    );
  });

  it('counts not groups and value paths towards the depth limit', () => {
    expect(() => parseFilter('not (emails[type eq "work"])', { maxDepth: 2 })).not.toThrow();
    expect(() => parseFilter('not (emails[type eq "work"])', { maxDepth: 1 })).toThrow(/deeper than 1 levels/);
  });

  it('rejects a thousand nested not groups without overflowing the stack', () => {
    const text = `${'not ('.repeat(1000)}a pr${')'.repeat(1000)}`;
    expect(scimErrorOf(() => parseFilter(text)).scimType).toBe('invalidFilter');
  });

  it('accepts a filter exactly limits.maxFilterLength characters long', () => {
    const prefix = 'userName eq "';
    const text = `${prefix}${'a'.repeat(limits.maxFilterLength - prefix.length - 1)}"`;
    expect(text).toHaveLength(limits.maxFilterLength);
    expect(() => parseFilter(text)).not.toThrow();
  });

  it('rejects a filter longer than limits.maxFilterLength with invalidFilter', () => {
    const text = `userName eq "${'a'.repeat(limits.maxFilterLength)}"`;
    const error = scimErrorOf(() => parseFilter(text));
    expect(error.scimType).toBe('invalidFilter');
    expect(error.message).toMatch(`at most ${limits.maxFilterLength}`);
  });

  it('applies a maxLength given as an option', () => {
    expect(() => parseFilter('userName eq "abc"', { maxLength: 10 })).toThrow(/17 characters long; at most 10/);
  });

  it('accepts a chain of limits.maxFilterTerms terms without a depth error, since it is not nesting', () => {
    const text = Array.from({ length: limits.maxFilterTerms }, (_, i) => `a${i} eq ${i}`).join(' and ');
    expect(parseFilter(text).op).toBe('and');
  });

  it('rejects one term more than limits.maxFilterTerms with invalidFilter naming the cap', () => {
    const text = Array.from({ length: limits.maxFilterTerms + 1 }, (_, i) => `a${i} pr`).join(' or ');
    const error = scimErrorOf(() => parseFilter(text));
    expect(error.scimType).toBe('invalidFilter');
    expect(error.message).toContain(`more than ${limits.maxFilterTerms} comparisons (maxFilterTerms)`);
  });
});

const match = (text: string, resource: Record<string, unknown>, type: ResourceTypeName = 'User') =>
  matchesFilter(parseFilter(text), resource, type);

describe('matchesFilter', () => {
  it.each<{
    name: string;
    filter: string;
    resource?: Record<string, unknown>;
    type?: ResourceTypeName;
    expected: boolean;
  }>([
    {
      name: "matches Entra's userName query on the exact userName",
      filter: 'userName eq "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee"',
      expected: true,
    },
    {
      name: 'matches userName case-insensitively because userName is not caseExact',
      filter: 'userName eq "TEST_USER_00AA00AA-BB11-CC22-DD33-44EE44EE44EE"',
      expected: true,
    },
    {
      name: "does not match the random GUID of Entra's Test Connection",
      filter: 'userName eq "5e9e0c3c-5b0b-4b4e-8a4f-0d0b8e7c2f1a"',
      expected: false,
    },
    { name: 'matches id exactly', filter: 'id eq "2441309d-8532-4e77-93ae-2441309d8532"', expected: true },
    {
      name: 'does not match id in another case because id is caseExact',
      filter: 'id eq "2441309D-8532-4E77-93AE-2441309D8532"',
      expected: false,
    },
    {
      name: 'matches externalId exactly',
      filter: 'externalId eq "7fce0092-d52e-4f76-b727-3955bd72c939"',
      expected: true,
    },
    {
      name: 'does not match externalId in another case because externalId is caseExact',
      filter: 'externalId eq "7FCE0092-D52E-4F76-B727-3955BD72C939"',
      expected: false,
    },
    {
      name: "matches Entra's unquoted externalId value as a string",
      filter: 'externalId eq 00ujl29u0le5T6Aj10h7',
      resource: oktaUser,
      expected: true,
    },
    {
      name: 'matches a bare number against a string attribute by its decimal text',
      filter: `${ENTERPRISE}:employeeNumber eq 701984`,
      expected: true,
    },
    { name: 'matches displayName case-insensitively', filter: 'displayName eq "joy young"', expected: true },
    {
      name: 'matches Entra\'s emails[type eq "work"].value eq case-insensitively because emails.value is not caseExact',
      filter: 'emails[type eq "work"].value eq "test_user_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@TESTUSER.com"',
      expected: true,
    },
    {
      name: 'does not match emails[type eq "home"].value eq the work address, since both must hold for one element',
      filter: 'emails[type eq "home"].value eq "Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com"',
      expected: false,
    },
    {
      name: 'matches a value path whose type is compared case-insensitively',
      filter: 'emails[type eq "WORK"]',
      expected: true,
    },
    {
      name: 'matches emails.value eq when any element has that value',
      filter: 'emails.value eq "joy@home.example"',
      expected: true,
    },
    {
      name: 'matches emails eq by comparing the value of each element',
      filter: 'emails eq "JOY@home.example"',
      expected: true,
    },
    { name: 'matches emails co on any element', filter: 'emails co "@home."', expected: true },
    { name: 'matches emails.type eq on any element', filter: 'emails.type eq "home"', expected: true },
    { name: 'matches sw on a sub-attribute', filter: 'name.familyName sw "FAMILY"', expected: true },
    { name: 'matches ew', filter: 'userName ew "44ee44ee44ee"', expected: true },
    { name: 'matches co', filter: 'displayName co "y Yo"', expected: true },
    { name: 'does not match co when the text is absent', filter: 'displayName co "zz"', expected: false },
    { name: 'matches ne when the value differs', filter: 'displayName ne "someone else"', expected: true },
    { name: 'does not match ne when only the case differs', filter: 'displayName ne "JOY YOUNG"', expected: false },
    { name: 'matches ne on an absent attribute', filter: 'nickName ne "x"', expected: true },
    {
      name: 'matches ne on a multi-valued attribute when some element differs',
      filter: 'emails.type ne "work"',
      expected: true,
    },
    { name: 'matches gt on strings lexicographically, ignoring case', filter: 'displayName gt "JOY"', expected: true },
    { name: 'does not match lt when the string sorts after', filter: 'displayName lt "Joy"', expected: false },
    { name: 'matches le on an equal string', filter: 'displayName le "joy young"', expected: true },
    { name: 'matches ge on an equal string', filter: 'displayName ge "Joy Young"', expected: true },
    {
      name: 'compares caseExact strings with gt by code unit',
      filter: 'id gt "2441309D-8532-4E77-93AE-2441309D8532"',
      expected: true,
    },
    { name: 'matches pr on a present attribute', filter: 'userName pr', expected: true },
    { name: 'does not match pr on an absent attribute', filter: 'nickName pr', expected: false },
    { name: 'does not match pr on an empty string', filter: 'title pr', expected: false },
    { name: 'does not match pr on an empty array', filter: 'phoneNumbers pr', expected: false },
    { name: 'matches pr on a non-empty multi-valued attribute', filter: 'emails pr', expected: true },
    { name: 'matches pr on a complex attribute with a value', filter: 'name pr', expected: true },
    {
      name: 'does not match pr on a complex attribute whose sub-attributes are all empty',
      filter: 'name pr',
      resource: { name: { givenName: '', familyName: null } },
      expected: false,
    },
    { name: 'matches eq null on an absent attribute', filter: 'nickName eq null', expected: true },
    { name: 'does not match eq null on a present attribute', filter: 'userName eq null', expected: false },
    { name: 'matches ne null on a present attribute', filter: 'userName ne null', expected: true },
    { name: 'does not match ne null on an absent attribute', filter: 'nickName ne null', expected: false },
    { name: 'matches active eq true on an active user', filter: 'active eq true', expected: true },
    {
      name: 'does not match active eq true on a deactivated user',
      filter: 'active eq true',
      resource: oktaUser,
      expected: false,
    },
    {
      name: 'compares the Entra string "False" with a boolean attribute as a boolean',
      filter: 'active eq "False"',
      resource: oktaUser,
      expected: true,
    },
    {
      name: 'compares the string "true" with a boolean attribute as a boolean',
      filter: 'active eq "true"',
      expected: true,
    },
    { name: 'matches ne on a boolean', filter: 'active ne false', expected: true },
    {
      name: 'matches Entra\'s roles[primary eq "True"].value mapping path as a filter',
      filter: 'roles[primary eq "True"].value eq "admin"',
      expected: true,
    },
    {
      name: 'still matches a deactivated user by userName',
      filter: 'userName eq "TEST.USER@okta.local"',
      resource: oktaUser,
      expected: true,
    },
    {
      name: 'matches an unqualified extension attribute under its URN key',
      filter: 'employeeNumber eq "701984"',
      expected: true,
    },
    {
      name: 'matches a URN-qualified extension attribute',
      filter: `${ENTERPRISE}:department eq "tour operations"`,
      expected: true,
    },
    {
      name: 'matches a lower-case URN-qualified core attribute',
      filter: `${USER_SCHEMA.toLowerCase()}:username eq "test.user@okta.local"`,
      resource: oktaUser,
      expected: true,
    },
    {
      name: "matches Entra's reference check id eq and manager eq, where manager means manager.value",
      filter: 'id eq 2441309d-8532-4e77-93ae-2441309d8532 and manager eq 2819c223-7f76-453a-919d-413861904646',
      expected: true,
    },
    {
      name: 'matches manager.value eq',
      filter: 'manager.value eq "2819C223-7F76-453A-919D-413861904646"',
      expected: true,
    },
    {
      name: "matches Entra's manager[value eq ...] on a single-valued complex attribute",
      filter: 'manager[value eq "2819c223-7f76-453a-919d-413861904646"]',
      expected: true,
    },
    { name: 'does not match manager on a user without one', filter: 'manager pr', resource: oktaUser, expected: false },
    {
      name: 'matches meta.created gt by time',
      filter: 'meta.created gt "2018-03-27T19:59:25Z"',
      expected: true,
    },
    {
      name: 'matches meta.lastModified eq by instant, whatever the notation',
      filter: 'meta.lastModified eq "2018-03-27T21:59:26+02:00"',
      expected: true,
    },
    {
      name: 'does not match meta.created lt an earlier time',
      filter: 'meta.created lt "2018-01-01T00:00:00Z"',
      expected: false,
    },
    {
      name: 'does not match meta.resourceType in another case because it is caseExact',
      filter: 'meta.resourceType eq "user"',
      expected: false,
    },
    { name: 'never matches an unknown attribute', filter: 'favouriteColour eq "blue"', expected: false },
    { name: 'never matches ne on an unknown attribute', filter: 'favouriteColour ne "blue"', expected: false },
    { name: 'never matches pr on an unknown attribute', filter: 'favouriteColour pr', expected: false },
    {
      name: 'matches not of a condition on an unknown attribute',
      filter: 'not (favouriteColour eq "blue")',
      expected: true,
    },
    {
      name: 'never matches schemas, which is not a filterable attribute',
      filter: `schemas eq "${USER_SCHEMA}"`,
      expected: false,
    },
    {
      name: 'never matches an attribute of an unknown extension',
      filter: 'urn:ietf:params:scim:schemas:extension:Custom:2.0:User:department eq "Tour Operations"',
      expected: false,
    },
    {
      name: 'never matches a complex attribute without a value sub-attribute',
      filter: 'name eq "givenName"',
      expected: false,
    },
    { name: 'matches not when the inner condition fails', filter: 'not (userName eq "someone")', expected: true },
    {
      name: 'matches or when only the right side holds',
      filter: 'userName eq "x" or displayName eq "Joy Young"',
      expected: true,
    },
    { name: 'does not match and when one side fails', filter: 'userName pr and displayName eq "x"', expected: false },
    {
      name: 'applies and before or',
      filter: 'displayName eq "Joy Young" or userName eq "x" and active eq false',
      expected: true,
    },
    {
      name: 'applies parentheses before and',
      filter: '(displayName eq "Joy Young" or userName eq "x") and active eq false',
      expected: false,
    },
    {
      name: 'matches a Group by displayName case-insensitively',
      filter: 'displayName eq "tour guides"',
      resource: group,
      type: 'Group',
      expected: true,
    },
    {
      name: 'matches a Group member with members[value eq ...]',
      filter: 'members[value eq "b7c1d3e5f7091a2b3c4d"]',
      resource: group,
      type: 'Group',
      expected: true,
    },
    {
      name: 'matches a Group member with members eq',
      filter: 'members eq "2441309d-8532-4e77-93ae-2441309d8532"',
      resource: group,
      type: 'Group',
      expected: true,
    },
    {
      name: 'does not match a Group id in another case because id is caseExact',
      filter:
        'members.value eq "2441309d-8532-4e77-93ae-2441309d8532" and id eq "927FA2C0-8DCB-4A7F-AE9E-927FA2C08DCB"',
      resource: group,
      type: 'Group',
      expected: false,
    },
    {
      name: 'never matches a User attribute on a Group',
      filter: 'userName pr',
      resource: group,
      type: 'Group',
      expected: false,
    },
    {
      name: 'finds attributes stored under differently cased keys',
      filter: 'userName eq "a"',
      resource: { USERNAME: 'A' },
      expected: true,
    },
    {
      name: 'ignores a value of the wrong JSON type instead of failing',
      filter: 'userName eq "1"',
      resource: { userName: 1 },
      expected: false,
    },
    {
      name: 'ignores a multi-valued attribute stored as a single object',
      filter: 'emails.value eq "a"',
      resource: { emails: { value: 'a' } },
      expected: false,
    },
  ])('$name', ({ filter, resource = entraUser, type = 'User', expected }) => {
    expect(match(filter, resource, type)).toBe(expected);
  });

  it.each<{ name: string; filter: string; message: RegExp }>([
    { name: 'rejects gt on a boolean', filter: 'active gt true', message: /'gt' cannot be used on 'active'/ },
    { name: 'rejects co on a boolean', filter: 'active co "t"', message: /only compared with eq or ne/ },
    {
      name: 'rejects a boolean compared with a word that is not true or false',
      filter: 'active eq "yes"',
      message: /expected true or false/,
    },
    { name: 'rejects sw on a dateTime', filter: 'meta.created sw "2018"', message: /strings only/ },
    {
      name: 'rejects a dateTime compared with a non-date',
      filter: 'meta.created gt "yesterday"',
      message: /expected a dateTime/,
    },
    { name: 'rejects gt null', filter: 'userName gt null', message: /only eq and ne compare with null/ },
    {
      name: 'rejects an invalid comparison inside a value path',
      filter: 'emails[primary gt false]',
      message: /'gt' cannot be used on 'primary'/,
    },
  ])('$name with invalidFilter', ({ filter, message }) => {
    const error = scimErrorOf(() => match(filter, entraUser));
    expect(error.scimType).toBe('invalidFilter');
    expect(error.message).toMatch(message);
  });
});

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
