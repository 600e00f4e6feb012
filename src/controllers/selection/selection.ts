import type { AccessMapping } from '../../api/access-mapping.ts';
import { labels } from '../../api/labels.ts';
import type { ScimGroup } from '../../api/scim-group.ts';
import type { ScimUser } from '../../api/scim-user.ts';
import type { IdentityView } from '../selection/identity-view.ts';

/**
 * The one rule for "whom does an AccessMapping select". Pure: every controller (RBAC bindings, downstream accounts,
 * the event-to-key mappings) asks here, so the copies cannot drift. Two questions are kept apart:
 *
 * - `mappingPhase`: what the mapping does now. `Active` grants and revokes; `Suspended` is **frozen** — nothing is
 *   granted and nothing is revoked, whatever changes meanwhile (the CRD text, ADR 0009); `Expired` and `Deleting`
 *   grant nothing, so everything they granted is revoked.
 * - whom it names: `namesUser` (one user, given its groups) and `resolveSelection` (every user, through the
 *   identity indexes), which agree (selection.test.ts checks both on the same table). A user named by an active
 *   mapping holds the access only if `mayHold` says so.
 *
 * A mapping's connection is taken as given: make it explicit first (connection-scope.ts `withExplicitConnection`).
 * Without one, identities of every connection count.
 */

export type MappingPhase = 'Active' | 'Suspended' | 'Expired' | 'Deleting';

type GroupReference = NonNullable<AccessMapping['spec']['subjects']['groups']>[number];
type RoleReference = NonNullable<AccessMapping['spec']['subjects']['roles']>[number];

/** Deleting wins over suspend (a deleted mapping's bindings go), and suspend over expiry (frozen means frozen). */
export function mappingPhase(mapping: AccessMapping, now: Date): MappingPhase {
  if (mapping.metadata.deletionTimestamp) return 'Deleting';
  if (mapping.spec.suspend) return 'Suspended';
  const expiresAt = mapping.spec.expiresAt;
  if (expiresAt && Date.parse(expiresAt) <= now.getTime()) return 'Expired';
  return 'Active';
}

/** A user may hold access: active, not suspended by an administrator (the label), not being deleted. */
export function mayHold(user: ScimUser): boolean {
  return (
    user.spec.active !== false &&
    user.metadata.labels?.[labels.suspended] !== 'true' &&
    !user.metadata.deletionTimestamp
  );
}

/** Whether the identity was written through `connection`; any identity does when there is none. */
export function inConnection(
  identity: { metadata: { labels?: Record<string, string> } },
  connection: string | undefined,
): boolean {
  return !connection || identity.metadata.labels?.[labels.connection] === connection;
}

/** A group reference matches by displayName (case-insensitive) or by externalId (exact). */
export function groupMatches(ref: GroupReference, group: ScimGroup): boolean {
  return ref.displayName
    ? ref.displayName.toLowerCase() === group.spec.displayName.toLowerCase()
    : ref.externalId === group.spec.externalId;
}

function named(refs: readonly { userName: string }[] | undefined, user: ScimUser): boolean {
  const userName = user.spec.userName.toLowerCase();
  return (refs ?? []).some((ref) => ref.userName.toLowerCase() === userName);
}

/**
 * A role reference matches a user holding a role (`spec.roles[].value`) with exactly that value: case-sensitive, as
 * Entra app role values and Okta role names are identifiers. Roles without a value match nothing.
 */
export function holdsRole(ref: RoleReference, user: ScimUser): boolean {
  return (user.spec.roles ?? []).some((role) => role.value !== undefined && role.value === ref.value);
}

/**
 * Whether the mapping's subjects name the user, whatever the mapping's phase and the user's state: listed in
 * `subjects.users`, holding a role in `subjects.roles`, or a direct member of a group in `subjects.groups` (nested
 * groups are not expanded), not listed in `excludeUsers`, and of the mapping's connection (the user and the group).
 */
export function namesUser(mapping: AccessMapping, user: ScimUser, groupsOfUser: readonly ScimGroup[]): boolean {
  const { connection, subjects } = mapping.spec;
  if (!inConnection(user, connection) || named(subjects.excludeUsers, user)) return false;
  if (named(subjects.users, user)) return true;
  if ((subjects.roles ?? []).some((ref) => holdsRole(ref, user))) return true;
  return (subjects.groups ?? []).some((ref) =>
    groupsOfUser.some((g) => inConnection(g, connection) && groupMatches(ref, g)),
  );
}

/** One reason a mapping selects a user: listed by userName, member of a group, or holding a role. */
export interface SelectionReason {
  kind: 'User' | 'Group' | 'Role';
  /** The userName, group displayName or role value. */
  name: string;
}

/**
 * Why the mapping's subjects name the user (see `namesUser`), every reason in subject order: empty exactly when
 * `namesUser` is false. For provenance in status, `whois` and reports.
 */
export function selectedBy(
  mapping: AccessMapping,
  user: ScimUser,
  groupsOfUser: readonly ScimGroup[],
): SelectionReason[] {
  const { connection, subjects } = mapping.spec;
  if (!inConnection(user, connection) || named(subjects.excludeUsers, user)) return [];
  const reasons: SelectionReason[] = [];
  if (named(subjects.users, user)) reasons.push({ kind: 'User', name: user.spec.userName });
  for (const ref of subjects.groups ?? [])
    for (const g of groupsOfUser)
      if (inConnection(g, connection) && groupMatches(ref, g))
        reasons.push({ kind: 'Group', name: g.spec.displayName });
  for (const ref of subjects.roles ?? []) if (holdsRole(ref, user)) reasons.push({ kind: 'Role', name: ref.value });
  return reasons;
}

/**
 * Whether a change to this user could change what the mapping selects: named anywhere in its subjects (excluded
 * too), whatever the connection. Deliberately wider than `namesUser`; used to decide what to reconcile again.
 * A mapping that selects by role is mentioned by every user: an event carries only the user's new roles, so a role
 * just removed (the user leaving the selection) shows nowhere on it.
 */
export function mentionsUser(mapping: AccessMapping, user: ScimUser, groupsOfUser: readonly ScimGroup[]): boolean {
  const { subjects } = mapping.spec;
  if (named(subjects.users, user) || named(subjects.excludeUsers, user)) return true;
  if ((subjects.roles ?? []).length > 0) return true;
  return mentionsAnyGroup(mapping, groupsOfUser);
}

/** Whether a change to one of these groups could change what the mapping selects. */
export function mentionsAnyGroup(mapping: AccessMapping, groups: readonly ScimGroup[]): boolean {
  return (mapping.spec.subjects.groups ?? []).some((ref) => groups.some((g) => groupMatches(ref, g)));
}

/** A subject reference that matched no identity; reported on the mapping's status, the rest is still selected. */
export type MissingSubject = { kind: 'group'; ref: GroupReference } | { kind: 'user'; userName: string };

export interface Selection {
  /** Ids of the users named (see `namesUser`) that may hold access (`mayHold`), sorted. */
  userIds: string[];
  /** The groups the mapping names, found in its connection. */
  groups: ScimGroup[];
  missing: MissingSubject[];
}

/** The groups one reference names, in the mapping's connection. */
export function groupsOfReference(
  view: Pick<IdentityView, 'groupsByDisplayName' | 'groupsByExternalId'>,
  ref: GroupReference,
  connection: string | undefined,
): ScimGroup[] {
  return ref.displayName
    ? view.groupsByDisplayName(ref.displayName, connection)
    : view.groupsByExternalId(ref.externalId ?? '', connection);
}

/**
 * Every user the mapping names and who may hold access, found through the identity indexes. Ignores the phase.
 * A mapping with `subjects.roles` needs a view with `usersByRole` (it throws otherwise, rather than select nobody).
 * With `expandGroups: false` (RBAC's Group subject mode, where a group is bound as itself) group members are not
 * listed as users.
 */
export function resolveSelection(
  mapping: AccessMapping,
  view: IdentityView,
  options: { expandGroups?: boolean } = {},
): Selection {
  const expandGroups = options.expandGroups ?? true;
  const { connection, subjects } = mapping.spec;
  const excluded = new Set<string>();
  for (const ref of subjects.excludeUsers ?? [])
    for (const user of view.usersByUserName(ref.userName, connection)) excluded.add(user.metadata.name);
  const candidates = new Set<string>();
  const groups: ScimGroup[] = [];
  const missing: MissingSubject[] = [];
  for (const ref of subjects.groups ?? []) {
    const found = groupsOfReference(view, ref, connection);
    if (found.length === 0) missing.push({ kind: 'group', ref });
    for (const group of found) {
      groups.push(group);
      if (expandGroups) for (const id of view.membersOf(group.metadata.name)) candidates.add(id);
    }
  }
  for (const ref of subjects.users ?? []) {
    const users = view.usersByUserName(ref.userName, connection);
    if (users.length === 0) missing.push({ kind: 'user', userName: ref.userName });
    for (const user of users) candidates.add(user.metadata.name);
  }
  // A role nobody holds is not missing: app roles are assigned and unassigned in the IdP all the time.
  for (const ref of subjects.roles ?? []) {
    if (!view.usersByRole)
      throw new TypeError('this IdentityView has no usersByRole: it cannot resolve a mapping that selects by role');
    for (const user of view.usersByRole(ref.value, connection)) candidates.add(user.metadata.name);
  }
  const userIds: string[] = [];
  for (const id of candidates) {
    const user = view.user(id);
    // A member id that is not a user is a nested group: skipped.
    if (user && !excluded.has(id) && mayHold(user) && inConnection(user, connection)) userIds.push(id);
  }
  return { userIds: userIds.sort(), groups, missing };
}
