import { describe, expect, it } from 'vitest';
import type { AccessMapping } from '../../api/access-mapping.ts';
import type { ScimGroup } from '../../api/scim-group.ts';
import type { ScimUser } from '../../api/scim-user.ts';
import {
  accountAttributes,
  assignedApps,
  attributePatch,
  ENTERPRISE,
  matchFilter,
  userDocument,
} from './desired-accounts.ts';

const user = (userName: string, spec: Partial<ScimUser['spec']> = {}, connection = 'entra'): ScimUser => ({
  apiVersion: 'scim-operator.dev/v1alpha1',
  kind: 'ScimUser',
  metadata: { name: `id-${userName}`, labels: { 'scim-operator.dev/connection': connection } },
  spec: { userName, ...spec },
});
const group = (displayName: string): ScimGroup =>
  ({
    metadata: { name: `g-${displayName}`, labels: { 'scim-operator.dev/connection': 'entra' } },
    spec: { displayName },
  }) as unknown as ScimGroup;
const mapping = (name: string, spec: Partial<AccessMapping['spec']>): AccessMapping => ({
  apiVersion: 'scim-operator.dev/v1alpha1',
  kind: 'AccessMapping',
  metadata: { name },
  spec: { connection: 'entra', subjects: {}, ...spec },
});
const now = new Date('2026-11-29T00:00:00Z');

describe('assignedApps', () => {
  it('assigns the apps of mappings naming the user or one of its groups, and not of excluding ones', () => {
    const ada = user('ada@example.com');
    const mappings = [
      mapping('direct', { subjects: { users: [{ userName: 'ADA@example.com' }] }, apps: [{ name: 'crm' }] }),
      mapping('team', { subjects: { groups: [{ displayName: 'devs' }] }, apps: [{ name: 'wiki' }] }),
      mapping('other', { subjects: { groups: [{ displayName: 'ops' }] }, apps: [{ name: 'erp' }] }),
      mapping('excluded', {
        subjects: { groups: [{ displayName: 'devs' }], excludeUsers: [{ userName: 'ada@example.com' }] },
        apps: [{ name: 'hr' }],
      }),
    ];
    expect([...assignedApps(ada, mappings, [group('devs')], now).assigned.keys()].sort()).toEqual(['crm', 'wiki']);
  });

  it('ignores mappings of another connection and expired ones', () => {
    const ada = user('ada@example.com', {}, 'okta');
    const subjects = { users: [{ userName: 'ada@example.com' }] };
    const mappings = [
      mapping('a', { subjects, apps: [{ name: 'crm' }] }),
      mapping('c', { connection: 'okta', subjects, expiresAt: '2026-01-01T00:00:00Z', apps: [{ name: 'crm' }] }),
    ];
    const { assigned, frozen } = assignedApps(ada, mappings, [], now);
    expect(assigned.size).toBe(0);
    expect(frozen.size).toBe(0);
  });

  it('freezes the apps of a suspended mapping: neither assigned nor unassigned', () => {
    const ada = user('ada@example.com', {}, 'okta');
    const subjects = { users: [{ userName: 'ada@example.com' }] };
    const mappings = [
      mapping('b', { connection: 'okta', subjects, suspend: true, apps: [{ name: 'crm' }, { name: 'wiki' }] }),
      mapping('d', { connection: 'okta', subjects, apps: [{ name: 'wiki' }] }),
      mapping('e', { connection: 'entra', subjects: {}, suspend: true, apps: [{ name: 'erp' }] }),
    ];
    const { assigned, frozen } = assignedApps(ada, mappings, [], now);
    expect([...assigned.keys()]).toEqual(['wiki']);
    expect([...frozen]).toEqual(['crm']);
  });

  it('merges per-assignment attributes, the first mapping by name winning a shared key', () => {
    const ada = user('ada@example.com');
    const subjects = { users: [{ userName: 'ada@example.com' }] };
    const mappings = [
      mapping('b', { subjects, apps: [{ name: 'crm', attributes: { role: 'viewer', team: 'x' } }] }),
      mapping('a', { subjects, apps: [{ name: 'crm', attributes: { role: 'admin' } }] }),
    ];
    expect(assignedApps(ada, mappings, [], now).assigned.get('crm')).toEqual({ role: 'admin', team: 'x' });
  });
});

describe('account attributes', () => {
  const ada = user('ada@example.com', {
    displayName: 'Ada',
    name: { givenName: 'Ada', familyName: 'Lovelace' },
    emails: [
      { value: 'home@example.com', type: 'home' },
      { value: 'ada@example.com', primary: true },
    ],
    enterprise: { department: 'R&D' },
  });

  it('sends the defaults, with the primary email, and always userName and active', () => {
    expect(accountAttributes(ada, {}, {}, true)).toEqual({
      userName: 'ada@example.com',
      displayName: 'Ada',
      'name.givenName': 'Ada',
      'name.familyName': 'Lovelace',
      emails: 'ada@example.com',
      active: true,
    });
  });

  it('renders constants, templates with assignment values, and enterprise attributes', () => {
    const attributes = accountAttributes(
      ada,
      {
        attributes: [
          { path: 'title', template: '{{assignment.role}} ({{name.familyName}})' },
          { path: 'userType', value: 'Employee' },
          { path: `${ENTERPRISE}:department`, from: 'department' },
        ],
      },
      { role: 'admin' },
      false,
    );
    expect(attributes).toEqual({
      title: 'admin (Lovelace)',
      userType: 'Employee',
      [`${ENTERPRISE}:department`]: 'R&D',
      userName: 'ada@example.com',
      active: false,
    });
    expect(userDocument(attributes)).toMatchObject({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
      [ENTERPRISE]: { department: 'R&D' },
    });
  });

  it('patches only what differs from the remote account', () => {
    const attributes = accountAttributes(ada, {}, {}, true);
    const remote = { id: 'r1', ...userDocument(attributes), displayName: 'Old' };
    expect(attributePatch(attributes, remote)).toEqual([{ op: 'replace', path: 'displayName', value: 'Ada' }]);
  });

  it('matches by email through emails.value', () => {
    expect(matchFilter('email', accountAttributes(ada, {}, {}, true))).toEqual({
      attribute: 'emails.value',
      value: 'ada@example.com',
    });
    expect(matchFilter('externalId', accountAttributes(ada, {}, {}, true))).toBeUndefined();
  });
});
