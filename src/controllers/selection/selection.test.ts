import { describe, expect, it } from 'vitest';
import type { AccessMapping } from '../../api/access-mapping.ts';
import type { ScimGroup } from '../../api/scim-group.ts';
import type { ScimUser } from '../../api/scim-user.ts';
import { group, identities, mapping, user } from '../role-bindings/identity-fixtures.test-support.ts';
import { mappingPhase, mayHold, mentionsUser, namesUser, resolveSelection, selectedBy } from './selection.ts';

const now = new Date('2026-11-29T00:00:00Z');
const ada = user('u-ada', 'ada@example.com');
const bob = user('u-bob', 'bob@example.com');
const reader = [{ value: 'Reader', display: 'Cluster reader', primary: true }];
const okta = user(
  'u-eve',
  'eve@example.com',
  { roles: reader },
  { labels: { 'scim-operator.dev/connection': 'okta' } },
);
const inactive = user('u-ina', 'ina@example.com', { active: false, roles: reader });
const rae = user('u-rae', 'rae@example.com', { roles: [{ value: 'Writer' }, ...reader] });
const suspendedUser = user('u-sus', 'sus@example.com', {}, { labels: { 'scim-operator.dev/suspended': 'true' } });
const devs = group('g-devs', 'Devs', 'ext-devs');
const ops = group('g-ops', 'ops');
const users = [ada, bob, okta, inactive, suspendedUser, rae];
const members: Record<string, string[]> = { 'g-devs': ['u-ada', 'u-eve', 'u-ina', 'u-sus', 'g-ops'], 'g-ops': [] };
const view = identities(users, [devs, ops], members);
const groupsOfUser = (u: ScimUser): ScimGroup[] =>
  [devs, ops].filter((g) => (members[g.metadata.name] ?? []).includes(u.metadata.name));

describe('mappingPhase', () => {
  const base = { subjects: {} };
  it.each<[string, Partial<AccessMapping['spec']>, Partial<AccessMapping['metadata']>, string]>([
    ['a plain mapping is active', {}, {}, 'Active'],
    ['a mapping expiring later is active', { expiresAt: '2027-01-01T00:00:00Z' }, {}, 'Active'],
    ['an expired mapping is expired', { expiresAt: '2026-01-01T00:00:00Z' }, {}, 'Expired'],
    ['a suspended mapping is suspended', { suspend: true }, {}, 'Suspended'],
    ['suspend wins over expiry', { suspend: true, expiresAt: '2026-01-01T00:00:00Z' }, {}, 'Suspended'],
    ['deletion wins over suspend', { suspend: true }, { deletionTimestamp: new Date(now) }, 'Deleting'],
  ])('%s', (_, spec, metadata, phase) => {
    const m = mapping('m', { ...base, ...spec });
    expect(mappingPhase({ ...m, metadata: { ...m.metadata, ...metadata } }, now)).toBe(phase);
  });
});

describe('mayHold', () => {
  it.each([
    ['an active user may hold access', ada, true],
    ['an inactive user may not', inactive, false],
    ['a user labelled suspended may not', suspendedUser, false],
    ['a user being deleted may not', user('u-del', 'del@example.com', {}, { deletionTimestamp: new Date(now) }), false],
  ])('%s', (_, u, expected) => expect(mayHold(u)).toBe(expected));
});

describe('whom a mapping names: namesUser and resolveSelection agree', () => {
  const table: [string, AccessMapping['spec'], string[]][] = [
    [
      'a user listed by userName, case-insensitively',
      { subjects: { users: [{ userName: 'ADA@example.com' }] } },
      ['u-ada'],
    ],
    [
      'the members of a group by displayName, able to hold access',
      { subjects: { groups: [{ displayName: 'devs' }] } },
      ['u-ada', 'u-eve'],
    ],
    [
      'the members of a group by externalId',
      { subjects: { groups: [{ externalId: 'ext-devs' }] } },
      ['u-ada', 'u-eve'],
    ],
    ['only the connection named', { connection: 'entra', subjects: { groups: [{ displayName: 'devs' }] } }, ['u-ada']],
    [
      'nobody excluded, even as a group member',
      { subjects: { groups: [{ displayName: 'devs' }], excludeUsers: [{ userName: 'ada@example.com' }] } },
      ['u-eve'],
    ],
    ['nobody through an unknown group', { subjects: { groups: [{ displayName: 'nobody' }] } }, []],
    [
      'the users holding a role, able to hold access',
      { subjects: { roles: [{ value: 'Reader' }] } },
      ['u-eve', 'u-rae'],
    ],
    [
      'role holders of the connection named only',
      { connection: 'entra', subjects: { roles: [{ value: 'Reader' }] } },
      ['u-rae'],
    ],
    ['nobody through a role of another case', { subjects: { roles: [{ value: 'reader' }] } }, []],
    [
      'role holders and group members together, minus the excluded',
      {
        subjects: {
          roles: [{ value: 'Writer' }],
          groups: [{ displayName: 'devs' }],
          excludeUsers: [{ userName: 'eve@example.com' }],
        },
      },
      ['u-ada', 'u-rae'],
    ],
  ];
  it.each(table)('selects %s', (_, spec, expected) => {
    const m = mapping('m', spec);
    expect(resolveSelection(m, view).userIds).toEqual(expected);
    const byPredicate = users.filter((u) => mayHold(u) && namesUser(m, u, groupsOfUser(u))).map((u) => u.metadata.name);
    expect(byPredicate.sort()).toEqual(expected);
    const byReasons = users.filter((u) => mayHold(u) && selectedBy(m, u, groupsOfUser(u)).length > 0);
    expect(byReasons.map((u) => u.metadata.name).sort()).toEqual(expected);
  });

  it('gives every reason a mapping selects a user, in subject order', () => {
    const m = mapping('m', {
      subjects: {
        groups: [{ displayName: 'devs' }],
        users: [{ userName: 'rae@example.com' }],
        roles: [{ value: 'Writer' }],
      },
    });
    expect(selectedBy(m, rae, [devs])).toEqual([
      { kind: 'User', name: 'rae@example.com' },
      { kind: 'Group', name: 'Devs' },
      { kind: 'Role', name: 'Writer' },
    ]);
    const excluding = mapping('x', {
      subjects: { roles: [{ value: 'Writer' }], excludeUsers: [{ userName: 'rae@example.com' }] },
    });
    expect(selectedBy(excluding, rae, [])).toEqual([]);
  });

  it('reports the references that matched nobody', () => {
    const m = mapping('m', {
      subjects: { groups: [{ displayName: 'nobody' }], users: [{ userName: 'x@example.com' }] },
    });
    expect(resolveSelection(m, view).missing).toEqual([
      { kind: 'group', ref: { displayName: 'nobody' } },
      { kind: 'user', userName: 'x@example.com' },
    ]);
  });

  it('reports no role that nobody holds as missing: app roles come and go', () => {
    const m = mapping('m', { subjects: { roles: [{ value: 'Auditor' }] } });
    expect(resolveSelection(m, view)).toEqual({ userIds: [], groups: [], missing: [] });
  });

  it('refuses to resolve a role selection through a view that cannot look roles up, rather than select nobody', () => {
    const { usersByRole: _, ...withoutRoles } = view;
    const m = mapping('m', { subjects: { roles: [{ value: 'Reader' }] } });
    expect(() => resolveSelection(m, withoutRoles)).toThrow(/usersByRole/);
  });

  it('lists role holders as users even when groups are bound as themselves', () => {
    const m = mapping('m', { subjects: { roles: [{ value: 'Reader' }], groups: [{ displayName: 'devs' }] } });
    expect(resolveSelection(m, view, { expandGroups: false }).userIds).toEqual(['u-eve', 'u-rae']);
  });

  it('lists no group members as users when groups are bound as themselves', () => {
    const m = mapping('m', {
      subjects: { groups: [{ displayName: 'devs' }], users: [{ userName: 'bob@example.com' }] },
    });
    const selection = resolveSelection(m, view, { expandGroups: false });
    expect(selection.userIds).toEqual(['u-bob']);
    expect(selection.groups.map((g) => g.metadata.name)).toEqual(['g-devs']);
  });
});

describe('mentionsUser', () => {
  it('counts an excluded user and any connection as mentioned, so a change to them is reconciled', () => {
    const m = mapping('m', { connection: 'okta', subjects: { excludeUsers: [{ userName: 'ada@example.com' }] } });
    expect(mentionsUser(m, ada, [])).toBe(true);
    expect(namesUser(m, ada, [])).toBe(false);
    expect(mentionsUser(m, bob, [])).toBe(false);
  });

  it('counts every user as mentioned by a mapping that selects by role, since a removed role leaves no trace', () => {
    const m = mapping('m', { subjects: { roles: [{ value: 'Reader' }] } });
    expect(mentionsUser(m, bob, [])).toBe(true);
    expect(namesUser(m, bob, [])).toBe(false);
    expect(namesUser(m, rae, [])).toBe(true);
  });
});
