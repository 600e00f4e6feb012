import { type Grant, MAX_LISTED_GRANTS } from '../../api/scim-user.ts';
import type { SelectionReason } from '../selection/selection.ts';

/** What one generated binding grants, as read from it: where, which role, and the mapping owning it. */
export interface GrantedBinding {
  /** Unset for a ClusterRoleBinding. */
  namespace?: string;
  roleKind: 'ClusterRole' | 'Role';
  role: string;
  accessMapping: string;
}

const MAX_REASONS = 16;

/**
 * A user's effective grants for its status, pure: one entry per (scope, namespace, role, mapping) — the shards of
 * one binding collapse — sorted cluster-wide first, then by namespace, role and mapping; the first
 * `MAX_LISTED_GRANTS` listed, `grantCount` the total. `since` is carried over from the previous status for a grant
 * still in place and set to `now` for a new one, so a steady state yields an equal status (no write). A grant that
 * was beyond the listed window has no remembered `since`: it gets `now` when it enters the list.
 */
export function effectiveGrants(
  bindings: readonly GrantedBinding[],
  reasons: (accessMapping: string) => readonly SelectionReason[],
  previous: readonly Grant[] | undefined,
  now: Date,
): { grants: Grant[]; grantCount: number } {
  const unique = new Map<string, GrantedBinding>();
  for (const b of bindings) unique.set(grantKey(b), b);
  const sorted = [...unique.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const since = new Map((previous ?? []).map((g) => [grantKey(g), g.since]));
  const grants = sorted.slice(0, MAX_LISTED_GRANTS).map(([key, b]): Grant => {
    const grant: Grant = {
      scope: b.namespace ? 'Namespace' : 'Cluster',
      roleKind: b.roleKind,
      role: b.role,
      accessMapping: b.accessMapping,
      since: since.get(key) ?? now.toISOString(),
    };
    if (b.namespace) grant.namespace = b.namespace;
    const via = reasons(b.accessMapping).slice(0, MAX_REASONS);
    if (via.length) grant.via = via.map((r) => ({ kind: r.kind, name: r.name }));
    return grant;
  });
  return { grants, grantCount: unique.size };
}

// Cluster-wide grants (empty namespace) sort first.
function grantKey(g: { namespace?: string; roleKind: string; role: string; accessMapping: string }): string {
  return [g.namespace ?? '', g.roleKind, g.role, g.accessMapping].join('\u0000');
}
