import { describe, expect, it } from 'vitest';
import { defaultSettings, group, mapping, user } from '../controllers/role-bindings/identity-fixtures.test-support.ts';
import { type GrantContext, grantsOfUser } from './user-grants.ts';

const now = new Date('2026-01-01T00:00:00Z');
const namespaces: GrantContext['namespaces'] = [
  { name: 'team-a', labels: { tier: 'dev' } },
  { name: 'team-b', labels: { tier: 'dev' } },
  { name: 'kube-system', labels: {} },
];
const context = (mappings: GrantContext['mappings'], settings = defaultSettings): GrantContext => ({
  mappings,
  namespaces,
  settings,
  served: new Set(['entra']),
  operatorNamespace: 'scim-operator',
  now,
});

const ada = user('u1', 'ada@example.com');
const ops = group('g1', 'Ops');
const devs = group('g2', 'Devs');

describe('grantsOfUser', () => {
  it('grants through a mapping that selects by role, with the same selection rule as the controller, and says so in via', () => {
    const reader = user('u9', 'rae@example.com', { roles: [{ value: 'Cluster.Reader' }] });
    const byRole = mapping('readers', {
      subjects: { roles: [{ value: 'Cluster.Reader' }] },
      roleBindings: [{ clusterRole: 'view', namespaces: ['team-a'] }],
    });
    expect(grantsOfUser(reader, [], context([byRole])).map((g) => [g.mapping, g.namespace, g.role, g.via])).toEqual([
      ['readers', 'team-a', 'view', ['role:Cluster.Reader']],
    ]);
    expect(grantsOfUser(ada, [], context([byRole]))).toEqual([]);
  });

  it('lists each grant with the mapping and the group or direct selection that caused it', () => {
    const grants = grantsOfUser(
      ada,
      [ops],
      context([
        mapping('ops-edit', {
          subjects: { groups: [{ displayName: 'ops' }] },
          roleBindings: [{ clusterRole: 'edit', namespaces: ['team-a'] }],
        }),
        mapping('ada-view', {
          subjects: { users: [{ userName: 'ADA@example.com' }], groups: [{ displayName: 'Ops' }] },
          roleBindings: [{ clusterRole: 'view', namespaceSelector: { matchLabels: { tier: 'dev' } } }],
        }),
      ]),
    );
    expect(grants.map((g) => [g.mapping, g.namespace, g.role, g.via.join(' ')])).toEqual([
      ['ops-edit', 'team-a', 'edit', 'group:Ops'],
      ['ada-view', 'team-a', 'view', 'user group:Ops'],
      ['ada-view', 'team-b', 'view', 'user group:Ops'],
    ]);
    expect(grants[0]).toMatchObject({ roleKind: 'ClusterRole', binding: 'scim:ops-edit:clusterrole:edit' });
  });

  it('grants nothing through a group the user is not in, an excluded user, or an expired mapping', () => {
    const grants = grantsOfUser(
      ada,
      [ops],
      context([
        mapping('devs', {
          subjects: { groups: [{ displayName: 'Devs' }] },
          roleBindings: [{ clusterRole: 'view', namespaces: ['team-a'] }],
        }),
        mapping('ops-but-ada', {
          subjects: { groups: [{ displayName: 'Ops' }], excludeUsers: [{ userName: 'ada@example.com' }] },
          roleBindings: [{ clusterRole: 'view', namespaces: ['team-a'] }],
        }),
        mapping('over', {
          expiresAt: '2025-12-31T00:00:00Z',
          subjects: { groups: [{ displayName: 'Ops' }] },
          roleBindings: [{ clusterRole: 'view', namespaces: ['team-a'] }],
        }),
      ]),
    );
    expect(grants).toEqual([]);
    expect(devs.spec.displayName).toBe('Devs');
  });

  it('leaves out what the controller refuses: roles off the allowlist and protected namespaces', () => {
    const grants = grantsOfUser(
      ada,
      [ops],
      context([
        mapping('wide', {
          subjects: { groups: [{ displayName: 'Ops' }] },
          roleBindings: [
            { clusterRole: 'admin', namespaces: ['team-a'] },
            { clusterRole: 'view', namespaces: ['kube-system', 'scim-operator', 'team-b'] },
          ],
        }),
      ]),
    );
    expect(grants.map((g) => `${g.namespace}/${g.role}`)).toEqual(['team-b/view']);
  });

  it('grants nothing to a deactivated or suspended user, as the controller revokes them', () => {
    const mappings = [
      mapping('ops-edit', {
        subjects: { groups: [{ displayName: 'Ops' }] },
        roleBindings: [{ clusterRole: 'edit', namespaces: ['team-a'] }],
      }),
    ];
    expect(grantsOfUser(user('u2', 'bob', { active: false }), [ops], context(mappings))).toEqual([]);
    const suspended = user(
      'u3',
      'cy',
      {},
      { labels: { 'scim-operator.dev/connection': 'entra', 'scim-operator.dev/suspended': 'true' } },
    );
    expect(grantsOfUser(suspended, [ops], context(mappings))).toEqual([]);
  });

  it('keeps the grants of a suspended mapping, marked as frozen', () => {
    const grants = grantsOfUser(
      ada,
      [ops],
      context([
        mapping('frozen', {
          suspend: true,
          subjects: { groups: [{ displayName: 'Ops' }] },
          roleBindings: [{ clusterRole: 'view', namespaces: ['team-a'] }],
        }),
      ]),
    );
    expect(grants.map((g) => g.mappingPhase)).toEqual(['Suspended']);
  });

  it('ignores a mapping of a connection this installation does not serve', () => {
    const grants = grantsOfUser(
      ada,
      [ops],
      context([
        mapping('other', {
          connection: 'okta',
          subjects: { users: [{ userName: 'ada@example.com' }] },
          roleBindings: [{ clusterRole: 'view', namespaces: ['team-a'] }],
        }),
      ]),
    );
    expect(grants).toEqual([]);
  });

  it('in Group subject mode, finds the grant through the group subject', () => {
    const settings = {
      ...defaultSettings,
      subjects: { ...defaultSettings.subjects, mode: 'Group' as const, groupPrefix: 'oidc:' },
    };
    const grants = grantsOfUser(
      ada,
      [ops],
      context(
        [
          mapping('ops-edit', {
            subjects: { groups: [{ displayName: 'Ops' }] },
            roleBindings: [{ clusterRole: 'edit', namespaces: ['team-a'] }],
          }),
        ],
        settings,
      ),
    );
    expect(grants.map((g) => [g.namespace, g.role, g.via[0]])).toEqual([['team-a', 'edit', 'group:Ops']]);
  });
});
