import type { V1ClusterRoleBinding, V1RoleBinding } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { MAX_LISTED_BINDINGS } from '../../api/access-mapping.ts';
import { listedBindings } from './binding-summary.ts';

const subjects = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: `u${i}` }));
const rb = (namespace: string, name: string, n: number): V1RoleBinding => ({
  metadata: { name, namespace },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
  subjects: subjects(n),
});
const crb = (name: string, n: number): V1ClusterRoleBinding => ({
  metadata: { name },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
  subjects: subjects(n),
});

describe('listedBindings', () => {
  it('lists cluster-wide bindings first, then namespaced ones by namespace and name, with their subject counts', () => {
    const listed = listedBindings({
      roleBindings: [rb('b', 'scim:m:clusterrole:view', 2), rb('a', 'scim:m:clusterrole:view:2-1', 1)],
      clusterRoleBindings: [crb('scim:m:clusterrole:view', 3)],
    });
    expect(listed).toEqual([
      { kind: 'ClusterRoleBinding', name: 'scim:m:clusterrole:view', subjectCount: 3 },
      { kind: 'RoleBinding', namespace: 'a', name: 'scim:m:clusterrole:view:2-1', subjectCount: 1 },
      { kind: 'RoleBinding', namespace: 'b', name: 'scim:m:clusterrole:view', subjectCount: 2 },
    ]);
  });

  it(`lists at most ${MAX_LISTED_BINDINGS} bindings, however many the mapping owns`, () => {
    const many = Array.from({ length: MAX_LISTED_BINDINGS + 20 }, (_, i) =>
      rb(`ns-${String(i).padStart(3, '0')}`, 'x', 1),
    );
    const listed = listedBindings({ roleBindings: many, clusterRoleBindings: [] });
    expect(listed).toHaveLength(MAX_LISTED_BINDINGS);
    expect(listed[0]?.namespace).toBe('ns-000');
  });
});
