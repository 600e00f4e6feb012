import { ApiException, type V1ClusterRoleBinding, type V1RoleBinding } from '@kubernetes/client-node';
import type { MappingFailure } from '../../api/access-mapping.ts';
import type { Condition } from '../../api/crd-builder.ts';
import { isNotFound } from '../../runtime/kube-errors.ts';
import type { DesiredBindings } from './desired-role-bindings.ts';

export type Binding = V1RoleBinding | V1ClusterRoleBinding;

export function kindOf(binding: Binding): 'RoleBinding' | 'ClusterRoleBinding' {
  return binding.metadata?.namespace ? 'RoleBinding' : 'ClusterRoleBinding';
}

/** What matters of a binding we own; informer copies carry more (managedFields, resourceVersion...). */
export function sameBinding(current: Binding, desired: Binding): boolean {
  const labelsOk = Object.entries(desired.metadata?.labels ?? {}).every(
    ([k, v]) => current.metadata?.labels?.[k] === v,
  );
  const ownerOk = (desired.metadata?.ownerReferences ?? []).every((want) =>
    current.metadata?.ownerReferences?.some((have) => have.uid === want.uid && have.controller === true),
  );
  const subjects = (b: Binding) => JSON.stringify((b.subjects ?? []).map((s) => [s.kind, s.name, s.apiGroup ?? '']));
  return (
    labelsOk &&
    ownerOk &&
    JSON.stringify(current.roleRef) === JSON.stringify(desired.roleRef) &&
    subjects(current) === subjects(desired)
  );
}

const NOT_HELD = 'attempting to grant RBAC permissions not currently held';

export function describeWriteError(err: unknown, binding: Binding): MappingFailure {
  const namespace = binding.metadata?.namespace;
  const body = err instanceof ApiException ? String(err.body) : String(err);
  if (err instanceof ApiException && err.code === 403 && body.includes(NOT_HELD)) {
    return {
      namespace,
      reason: 'BindForbidden',
      message: `the operator may not bind ${binding.roleRef.kind} ${binding.roleRef.name}: grant it bind on that role (Helm value settings.roles.allowedClusterRoles)`,
    };
  }
  if (isNotFound(err) && namespace) {
    return { namespace, reason: 'NamespaceNotFound', message: `namespace ${namespace} does not exist` };
  }
  return {
    namespace,
    reason: 'ApplyFailed',
    message: `could not write ${binding.metadata?.name}: ${body.slice(0, 300)}`,
  };
}

export function readiness(
  desired: DesiredBindings,
  failures: MappingFailure[],
): Omit<Condition, 'lastTransitionTime' | 'type'> {
  if (desired.expired) {
    return {
      status: 'True',
      reason: 'Expired',
      message: `Access expired at ${desired.expiresAt?.toISOString() ?? 'expiresAt'}; bindings removed`,
    };
  }
  if (failures.length === 0) {
    const count = desired.roleBindings.length + desired.clusterRoleBindings.length;
    return {
      status: 'True',
      reason: 'Reconciled',
      message: `${count} binding(s) for ${desired.subjectCount} subject(s)`,
    };
  }
  const first = failures[0]!;
  const more = failures.length > 1 ? ` (and ${failures.length - 1} more, see status.failures)` : '';
  return { status: 'False', reason: first.reason, message: `${first.message}${more}` };
}
