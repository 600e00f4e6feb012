import type { AccessMappingStatus } from '../../api/access-mapping.ts';
import { MAX_LISTED_BINDINGS } from '../../api/access-mapping.ts';
import type { DesiredBindings } from './desired-role-bindings.ts';

export type ListedBinding = NonNullable<AccessMappingStatus['bindings']>[number];

/**
 * The bindings a mapping owns, for its status: ClusterRoleBindings first, then RoleBindings by namespace and name,
 * each with its subject count; the first `MAX_LISTED_BINDINGS` of them (`bindingCount` holds the total). Pure and
 * stable, so an unchanged mapping yields an equal list and the status writer sends nothing.
 */
export function listedBindings(
  desired: Pick<DesiredBindings, 'roleBindings' | 'clusterRoleBindings'>,
): ListedBinding[] {
  const cluster = desired.clusterRoleBindings.map(
    (b): ListedBinding => ({
      kind: 'ClusterRoleBinding',
      name: b.metadata?.name ?? '',
      subjectCount: b.subjects?.length ?? 0,
    }),
  );
  const namespaced = desired.roleBindings.map(
    (b): ListedBinding => ({
      kind: 'RoleBinding',
      namespace: b.metadata?.namespace ?? '',
      name: b.metadata?.name ?? '',
      subjectCount: b.subjects?.length ?? 0,
    }),
  );
  const key = (b: ListedBinding) => `${b.namespace ?? ''}\u0000${b.name}`;
  cluster.sort((a, b) => a.name.localeCompare(b.name));
  namespaced.sort((a, b) => key(a).localeCompare(key(b)));
  return [...cluster, ...namespaced].slice(0, MAX_LISTED_BINDINGS);
}
