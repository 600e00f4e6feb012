import type { RbacV1Subject } from '@kubernetes/client-node';
import type { AccessMapping } from '../api/access-mapping.ts';
import { labels } from '../api/labels.ts';
import type { ScimGroup } from '../api/scim-group.ts';
import type { ScimUser } from '../api/scim-user.ts';
import { desiredRoleBindings, type NamespaceInfo } from '../controllers/role-bindings/desired-role-bindings.ts';
import type { IdentityView } from '../controllers/selection/identity-view.ts';
import { mappingPhase, namesUser, selectedBy } from '../controllers/selection/selection.ts';
import { withExplicitConnection } from '../controllers/shared/connection-scope.ts';
import { groupSubject, userSubject } from '../controllers/shared/subject-name.ts';
import type { Settings } from '../settings.ts';

/** One access a user holds through one mapping: a role in a namespace, or a ClusterRole cluster-wide. */
export interface Grant {
  /** The namespace, or undefined for a ClusterRoleBinding. */
  namespace?: string;
  roleKind: 'ClusterRole' | 'Role';
  role: string;
  mapping: string;
  /** Why the mapping selects the user: `user` (named directly) and/or `group:<displayName>` entries. */
  via: string[];
  /** The operator's binding that carries it. */
  binding: string;
  /** `Suspended`: the mapping is frozen, so the binding stays as it was (ADR 0009). */
  mappingPhase: 'Active' | 'Suspended';
  mappingCreated?: string;
  mappingExpiresAt?: string;
}

export interface GrantContext {
  mappings: readonly AccessMapping[];
  namespaces: readonly NamespaceInfo[];
  settings: Pick<Settings, 'subjects' | 'bindings' | 'roles'>;
  /** Connections this installation serves; a mapping it does not serve grants nothing here. */
  served: ReadonlySet<string>;
  operatorNamespace?: string;
  now: Date;
}

/**
 * What the operator grants one user, sorted by namespace, role and mapping, by asking the controller's own pure functions: `namesUser` (the selection
 * rule) picks the mappings, and `desiredRoleBindings` over a view that holds only this user and their groups says
 * which bindings would name the user's subject (or, in Group mode, one of their groups). So the plugin needs no
 * status field, and streams users one page at a time. One thing a one-user view cannot see: two users resolving
 * to the same subject, which the controller refuses; `whois` and `report` then show a grant the controller withholds.
 */
export function grantsOfUser(user: ScimUser, groupsOfUser: readonly ScimGroup[], context: GrantContext): Grant[] {
  const grants: Grant[] = [];
  const view = oneUserView(user, groupsOfUser, context.settings);
  const own = ownSubjects(user, groupsOfUser, context.settings);
  if (own.size === 0) return grants;
  for (const declared of context.mappings) {
    const mapping = withExplicitConnection(declared, context.served);
    if (!mapping) continue;
    const phase = mappingPhase(mapping, context.now);
    if (phase !== 'Active' && phase !== 'Suspended') continue;
    if (!namesUser(mapping, user, groupsOfUser)) continue;
    const desired = desiredRoleBindings({
      mapping,
      identities: view,
      namespaces: [...context.namespaces],
      settings: context.settings,
      operatorNamespace: context.operatorNamespace,
      now: context.now,
    });
    const via = provenance(mapping, user, groupsOfUser);
    const common = {
      mapping: mapping.metadata.name,
      via,
      mappingPhase: phase,
      mappingCreated: mapping.metadata.creationTimestamp as string | undefined,
      mappingExpiresAt: mapping.spec.expiresAt,
    };
    for (const binding of [...desired.roleBindings, ...desired.clusterRoleBindings]) {
      if (!binding.subjects?.some((s) => own.has(subjectKey(s)))) continue;
      grants.push({
        ...common,
        namespace: binding.metadata?.namespace,
        roleKind: binding.roleRef.kind as Grant['roleKind'],
        role: binding.roleRef.name,
        binding: binding.metadata?.name ?? '',
      });
    }
  }
  return grants.sort(byTarget);
}

/** By namespace (cluster-wide first), role and mapping: the order a reader scans. */
function byTarget(a: Grant, b: Grant): number {
  const key = (g: Grant) => [g.namespace ?? '', g.roleKind, g.role, g.mapping].join('\u0000');
  const [x, y] = [key(a), key(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Why a mapping selects a user, in the selection module's own words (`selectedBy`, which the controllers use for
 * `status.grants[].via`): `user`, `group:<displayName>`, `role:<value>`.
 */
export function provenance(mapping: AccessMapping, user: ScimUser, groupsOfUser: readonly ScimGroup[]): string[] {
  return selectedBy(mapping, user, groupsOfUser).map((r) =>
    r.kind === 'User' ? 'user' : `${r.kind.toLowerCase()}:${r.name}`,
  );
}

/** The RBAC subjects that stand for this user: their User subject and, in Group mode, their groups' subjects. */
export function ownSubjects(
  user: ScimUser,
  groupsOfUser: readonly ScimGroup[],
  settings: Pick<Settings, 'subjects'>,
): Set<string> {
  const out = new Set<string>();
  const subject = userSubject(user, settings.subjects);
  if (subject.ok) out.add(`User/${subject.name}`);
  if (settings.subjects.mode === 'Group') {
    for (const group of groupsOfUser) {
      const g = groupSubject(group.spec.displayName, group.spec.externalId, settings.subjects);
      if (g.ok) out.add(`Group/${g.name}`);
    }
  }
  return out;
}

export function subjectKey(subject: RbacV1Subject): string {
  return `${subject.kind}/${subject.name}`;
}

function oneUserView(
  user: ScimUser,
  groupsOfUser: readonly ScimGroup[],
  settings: Pick<Settings, 'subjects'>,
): IdentityView {
  const id = user.metadata.name;
  const inScope = (o: ScimUser | ScimGroup, connection: string | undefined) =>
    !connection || o.metadata.labels?.[labels.connection] === connection;
  return {
    user: (wanted) => (wanted === id ? user : undefined),
    usersByUserName: (name, connection) =>
      name.toLowerCase() === user.spec.userName.toLowerCase() && inScope(user, connection) ? [user] : [],
    usersByRole: (value, connection) =>
      (user.spec.roles ?? []).some((r) => r.value === value) && inScope(user, connection) ? [user] : [],
    groupsByDisplayName: (name, connection) =>
      groupsOfUser.filter((g) => g.spec.displayName.toLowerCase() === name.toLowerCase() && inScope(g, connection)),
    groupsByExternalId: (externalId, connection) =>
      groupsOfUser.filter((g) => g.spec.externalId === externalId && inScope(g, connection)),
    membersOf: (groupId) => (groupsOfUser.some((g) => g.metadata.name === groupId) ? [id] : []),
    subjectOf: (wanted) =>
      wanted === id ? userSubject(user, settings.subjects) : { ok: false, reason: 'NoSubject', message: 'unknown' },
  };
}
