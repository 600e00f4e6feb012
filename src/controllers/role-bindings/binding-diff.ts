import {
  ApiException,
  type RbacV1Subject,
  type V1ClusterRoleBinding,
  type V1RoleBinding,
} from '@kubernetes/client-node';
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
  return (
    labelsOk &&
    ownerOk &&
    JSON.stringify(current.roleRef) === JSON.stringify(desired.roleRef) &&
    sameSubjects(current.subjects ?? [], desired.subjects ?? [])
  );
}

/** Same subjects in the same order; a loop, not JSON: a shard holds up to 1,000 and a mapping up to ~128 shards. */
function sameSubjects(a: readonly RbacV1Subject[], b: readonly RbacV1Subject[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.kind !== y.kind || x.name !== y.name || (x.apiGroup ?? '') !== (y.apiGroup ?? '')) return false;
  }
  return true;
}

/**
 * Whether writing `desired` over `current` (the same binding) takes a subject away. A subject's shard is fixed by
 * its hash and the shard count, and the count is part of the name, so a subject missing from the desired version of
 * the same binding is granted by no other binding of the mapping for that role and namespace: it is a revocation.
 */
export function losesSubjects(current: Binding, desired: Binding): boolean {
  const kept = new Set((desired.subjects ?? []).map((s) => `${s.kind}/${s.name}`));
  return (current.subjects ?? []).some((s) => !kept.has(`${s.kind}/${s.name}`));
}

export interface BindingWrite {
  binding: Binding;
  current: Binding | undefined;
  /** The write takes a subject away (`losesSubjects`). */
  revokes: boolean;
}

/**
 * The wanted bindings that differ from what exists, in the order to write them: those that take a subject away
 * first, in their given order, then the rest (docs/adr/0025-preemptible-reconciles.md). Revocations therefore never
 * wait for the grants of the same reconcile.
 */
export function bindingWrites(wanted: readonly Binding[], existing: (binding: Binding) => Binding | undefined) {
  const revoking: BindingWrite[] = [];
  const granting: BindingWrite[] = [];
  for (const binding of wanted) {
    const current = existing(binding);
    if (current && sameBinding(current, binding)) continue;
    if (current && losesSubjects(current, binding)) revoking.push({ binding, current, revokes: true });
    else granting.push({ binding, current, revokes: false });
  }
  return [...revoking, ...granting];
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
