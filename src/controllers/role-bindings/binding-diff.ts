import {
  ApiException,
  type RbacV1Subject,
  type V1ClusterRoleBinding,
  type V1RoleBinding,
} from '@kubernetes/client-node';
import type { MappingFailure } from '../../api/access-mapping.ts';
import type { Condition } from '../../api/crd-builder.ts';
import { labels } from '../../api/labels.ts';
import { isNotFound } from '../../runtime/kube-errors.ts';
import { type DesiredBindings, MAPPING_LABEL } from './desired-role-bindings.ts';

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
 * first, in their given order, then the rest (docs/adr/0024-preemptible-reconciles.md). Revocations therefore never
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

export interface EarlyRevocation {
  current: Binding;
  /** The binding without the revoked subjects, to apply now; undefined when none is left: delete it now. */
  trimmed: Binding | undefined;
}

/**
 * Revocations held in bindings that are going away (a reshard renames every shard; a namespace or role left the
 * mapping). Those are deleted only after the new bindings exist, so that no subject that stays is without access in
 * between; a subject granted by no wanted binding of the same role and namespace need not wait for that. For each
 * such binding: the binding without those subjects (apply it first, delete it at the end), or nothing left (delete it
 * first).
 */
export function earlyRevocations(unwanted: readonly Binding[], wanted: readonly Binding[]): EarlyRevocation[] {
  if (unwanted.length === 0) return [];
  const target = (b: Binding) => `${b.metadata?.namespace ?? ''}/${b.roleRef.kind}/${b.roleRef.name}`;
  const granted = new Map<string, Set<string>>();
  for (const binding of wanted) {
    const subjects = granted.get(target(binding)) ?? new Set<string>();
    for (const s of binding.subjects ?? []) subjects.add(`${s.kind}/${s.name}`);
    granted.set(target(binding), subjects);
  }
  const out: EarlyRevocation[] = [];
  for (const current of unwanted) {
    const stays = granted.get(target(current));
    const subjects = current.subjects ?? [];
    const kept = stays ? subjects.filter((s) => stays.has(`${s.kind}/${s.name}`)) : [];
    if (kept.length === subjects.length) continue;
    out.push({ current, trimmed: kept.length === 0 ? undefined : withSubjects(current, kept) });
  }
  return out;
}

/** What the operator applies of a binding it generated, from the cached copy: no managedFields or resourceVersion. */
function withSubjects(current: Binding, subjects: RbacV1Subject[]): Binding {
  const own = current.metadata?.labels ?? {};
  const metadata = {
    name: current.metadata?.name,
    ...(current.metadata?.namespace ? { namespace: current.metadata.namespace } : {}),
    labels: { [labels.managedBy]: own[labels.managedBy] ?? 'scim-operator', [MAPPING_LABEL]: own[MAPPING_LABEL] ?? '' },
    ownerReferences: current.metadata?.ownerReferences,
  };
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: kindOf(current),
    metadata,
    roleRef: current.roleRef,
    subjects,
  };
}
