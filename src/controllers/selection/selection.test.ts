import { describe, expect, it } from 'vitest';
import type { AccessMapping } from '../../api/access-mapping.ts';
import type { ScimGroup } from '../../api/scim-group.ts';
import type { ScimUser } from '../../api/scim-user.ts';
import { group, identities, mapping, user } from '../role-bindings/identity-fixtures.test-support.ts';
import { mappingPhase, mayHold, mentionsUser, namesUser, resolveSelection } from './selection.ts';

const now = new Date('2026-11-29T00:00:00Z');
const ada = user('u-ada', 'ada@example.com');
const bob = user('u-bob', 'bob@example.com');
const okta = user('u-eve', 'eve@example.com', {}, { labels: { 'scim-operator.dev/connection': 'okta' } });
const inactive = user('u-ina', 'ina@example.com', { active: false });
const suspendedUser = user('u-sus', 'sus@example.com', {}, { labels: { 'scim-operator.dev/suspended': 'true' } });
const devs = group('g-devs', 'Devs', 'ext-devs');
const ops = group('g-ops', 'ops');
const users = [ada, bob, okta, inactive, suspendedUser];
const members: Record<string, string[]> = { 'g-devs': ['u-ada', 'u-eve', 'u-ina', 'u-sus', 'g-ops'], 'g-ops': [] };
const view = identities(users, [devs, ops], members);
const groupsOf = (u: ScimUser): ScimGroup[] =>
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
  ];
  it.each(table)('selects %s', (_, spec, expected) => {
    const m = mapping('m', spec);
    expect(resolveSelection(m, view).userIds).toEqual(expected);
    const byPredicate = users.filter((u) => mayHold(u) && namesUser(m, u, groupsOf(u))).map((u) => u.metadata.name);
    expect(byPredicate.sort()).toEqual(expected);
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
});
