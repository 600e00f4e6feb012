import type { V1ClusterRoleBinding, V1RoleBinding } from '@kubernetes/client-node';
import { labels } from '../api/labels.ts';
import { subjectKey } from './user-grants.ts';

export interface UnmanagedGrant {
  kind: 'RoleBinding' | 'ClusterRoleBinding';
  namespace?: string;
  name: string;
  roleKind: string;
  role: string;
  /** The subject of the user's that the binding names, e.g. `User/ada@example.com`. */
  subject: string;
}

/**
 * Bindings not managed by the operator (no `app.kubernetes.io/managed-by: scim-operator` label) that name one of
 * the user's subjects: access granted by hand or by other tooling, which deactivating the user does not revoke.
 */
export function unmanagedGrants(
  bindings: readonly (V1RoleBinding | V1ClusterRoleBinding)[],
  subjects: ReadonlySet<string>,
): UnmanagedGrant[] {
  const out: UnmanagedGrant[] = [];
  for (const binding of bindings) {
    if (binding.metadata?.labels?.[labels.managedBy] === 'scim-operator') continue;
    for (const subject of binding.subjects ?? []) {
      if (!subjects.has(subjectKey(subject))) continue;
      out.push({
        kind: binding.metadata?.namespace ? 'RoleBinding' : 'ClusterRoleBinding',
        namespace: binding.metadata?.namespace,
        name: binding.metadata?.name ?? '',
        roleKind: binding.roleRef.kind,
        role: binding.roleRef.name,
        subject: subjectKey(subject),
      });
    }
  }
  return out;
}
