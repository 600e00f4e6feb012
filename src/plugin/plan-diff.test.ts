import { describe, expect, it } from 'vitest';
import { isRefusal, planChanges } from './plan-diff.ts';

const rb = (namespace: string | undefined, role: string, users: string[]) => ({
  metadata: { name: 'b', namespace },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
  subjects: users.map((name) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name })),
});

describe('planChanges', () => {
  it('lists grants and revocations per namespace, role and subject', () => {
    expect(
      planChanges([rb('a', 'view', ['ada', 'bob'])], [rb('a', 'view', ['ada']), rb('b', 'edit', ['ada'])]),
    ).toEqual([
      { action: 'revoke', namespace: 'a', role: 'ClusterRole/view', subject: 'User/bob' },
      { action: 'grant', namespace: 'b', role: 'ClusterRole/edit', subject: 'User/ada' },
    ]);
  });

  it('sees no change when the same subjects are only sharded differently', () => {
    expect(
      planChanges([rb('a', 'view', ['ada']), rb('a', 'view', ['bob'])], [rb('a', 'view', ['bob', 'ada'])]),
    ).toEqual([]);
  });

  it('writes a cluster-wide binding as namespace *', () => {
    expect(planChanges([], [rb(undefined, 'view', ['ada'])])).toEqual([
      { action: 'grant', namespace: '*', role: 'ClusterRole/view', subject: 'User/ada' },
    ]);
  });
});

describe('isRefusal', () => {
  it('refuses roles off the allowlist, protected and missing namespaces; a missing group is only a warning', () => {
    expect(isRefusal({ reason: 'RoleNotAllowed', message: '' })).toBe(true);
    expect(isRefusal({ reason: 'NamespaceProtected', message: '' })).toBe(true);
    expect(isRefusal({ reason: 'NamespaceNotFound', message: '' })).toBe(true);
    expect(isRefusal({ reason: 'GroupNotFound', message: '' })).toBe(false);
  });
});
