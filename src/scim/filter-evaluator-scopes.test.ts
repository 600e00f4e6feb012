import { describe, expect, it } from 'vitest';
import { entraUser, group, match } from './filter-fixtures.test-support.ts';
import { type ResourceTypeName, USER_SCHEMA } from './schemas.ts';
import { scimErrorOf } from './scim-error-of.test-support.ts';

describe('matchesFilter on dates, unknown attributes, logic, Groups and stored data', () => {
  it.each<{
    name: string;
    filter: string;
    resource?: Record<string, unknown>;
    type?: ResourceTypeName;
    expected: boolean;
  }>([
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
