import { describe, expect, it } from 'vitest';
import { entraUser, match, oktaUser } from './filter-fixtures.test-support.ts';
import { ENTERPRISE_USER_SCHEMA, type ResourceTypeName, USER_SCHEMA } from './schemas.ts';

const ENTERPRISE = ENTERPRISE_USER_SCHEMA;

describe('matchesFilter on comparisons', () => {
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
  ])('$name', ({ filter, resource = entraUser, type = 'User', expected }) => {
    expect(match(filter, resource, type)).toBe(expected);
  });
});
