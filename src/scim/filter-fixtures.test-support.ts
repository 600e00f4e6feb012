/** Resources the filter engine's tests evaluate filters against, and a shorthand for an `eq` AST node. */

import type { Filter } from './filter.ts';
import { matchesFilter } from './filter-evaluator.ts';
import { parseFilter } from './filter-parser.ts';
import { ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, type ResourceTypeName, USER_SCHEMA } from './schemas.ts';

const ENTERPRISE = ENTERPRISE_USER_SCHEMA;

/** The user of Entra's Get User by query example, with the enterprise extension, roles and an address added. */
export const entraUser = {
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
export const oktaUser = {
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

export const group = {
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

export const eq = (attribute: string, value: string | number | boolean | null): Filter => ({
  op: 'eq',
  path: { attribute },
  value,
});

/** Whether `text`, parsed, matches `resource`. */
export const match = (text: string, resource: Record<string, unknown>, type: ResourceTypeName = 'User') =>
  matchesFilter(parseFilter(text), resource, type);
