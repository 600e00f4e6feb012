import { describe, expect, it } from 'vitest';
import { unmanagedGrants } from './unmanaged-grants.ts';

const roleRef = { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' };
const ada = { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'ada@example.com' };

describe('unmanagedGrants', () => {
  it("finds hand-made bindings naming the user's subject and ignores the operator's own", () => {
    const found = unmanagedGrants(
      [
        { metadata: { name: 'by-hand', namespace: 'team-a' }, roleRef, subjects: [ada] },
        {
          metadata: {
            name: 'scim:m:clusterrole:edit',
            namespace: 'team-a',
            labels: { 'app.kubernetes.io/managed-by': 'scim-operator' },
          },
          roleRef,
          subjects: [ada],
        },
        { metadata: { name: 'cluster-wide' }, roleRef, subjects: [{ ...ada, name: 'bob' }, ada] },
      ],
      new Set(['User/ada@example.com']),
    );
    expect(found).toEqual([
      {
        kind: 'RoleBinding',
        namespace: 'team-a',
        name: 'by-hand',
        roleKind: 'ClusterRole',
        role: 'admin',
        subject: 'User/ada@example.com',
      },
      {
        kind: 'ClusterRoleBinding',
        namespace: undefined,
        name: 'cluster-wide',
        roleKind: 'ClusterRole',
        role: 'admin',
        subject: 'User/ada@example.com',
      },
    ]);
  });

  it('matches the subject kind too: a Group of the same name is not the user', () => {
    expect(
      unmanagedGrants(
        [{ metadata: { name: 'g', namespace: 'x' }, roleRef, subjects: [{ ...ada, kind: 'Group' }] }],
        new Set(['User/ada@example.com']),
      ),
    ).toEqual([]);
  });
});
