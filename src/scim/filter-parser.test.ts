import { describe, expect, it } from 'vitest';
import type { Filter } from './filter.ts';
import { eq } from './filter-fixtures.test-support.ts';
import { parseFilter } from './filter-parser.ts';
import { ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA } from './schemas.ts';

const ENTERPRISE = ENTERPRISE_USER_SCHEMA;

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
});
