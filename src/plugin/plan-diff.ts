import type { RbacV1Subject, V1ClusterRoleBinding, V1RoleBinding } from '@kubernetes/client-node';
import type { MappingFailure } from '../api/access-mapping.ts';

/** One subject gaining or losing one role in one namespace (`*`: cluster-wide). */
export interface PlanChange {
  action: 'grant' | 'revoke';
  namespace: string;
  role: string;
  subject: string;
}

/** Failures that mean the mapping asks for something the operator will not do; the rest are warnings. */
const REFUSALS = new Set<MappingFailure['reason']>([
  'RoleNotAllowed',
  'NamespaceProtected',
  'NamespaceNotFound',
  'ConnectionRequired',
]);

export function isRefusal(failure: MappingFailure): boolean {
  return REFUSALS.has(failure.reason);
}

type Binding = V1RoleBinding | V1ClusterRoleBinding;

/**
 * What changes when the bindings that exist now (the operator's, for this mapping) are replaced by the desired
 * ones, per namespace, role and subject, ignoring how subjects are sharded over bindings. Sorted for stable output.
 */
export function planChanges(existing: readonly Binding[], desired: readonly Binding[]): PlanChange[] {
  const now = triples(existing);
  const next = triples(desired);
  const changes: PlanChange[] = [];
  for (const [key, t] of next) if (!now.has(key)) changes.push({ action: 'grant', ...t });
  for (const [key, t] of now) if (!next.has(key)) changes.push({ action: 'revoke', ...t });
  return changes.sort((a, b) =>
    `${a.namespace}\u0000${a.role}\u0000${a.subject}\u0000${a.action}`.localeCompare(
      `${b.namespace}\u0000${b.role}\u0000${b.subject}\u0000${b.action}`,
    ),
  );
}

function triples(bindings: readonly Binding[]): Map<string, Omit<PlanChange, 'action'>> {
  const out = new Map<string, Omit<PlanChange, 'action'>>();
  for (const b of bindings) {
    const namespace = b.metadata?.namespace ?? '*';
    const role = `${b.roleRef.kind}/${b.roleRef.name}`;
    for (const s of b.subjects ?? []) {
      const subject = subjectText(s);
      out.set(`${namespace}\u0000${role}\u0000${subject}`, { namespace, role, subject });
    }
  }
  return out;
}

function subjectText(s: RbacV1Subject): string {
  return `${s.kind}/${s.name}`;
}
