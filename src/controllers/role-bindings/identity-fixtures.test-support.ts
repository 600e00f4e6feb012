import type { AccessMapping } from '../../api/access-mapping.ts';
import type { ScimGroup } from '../../api/scim-group.ts';
import type { ScimUser } from '../../api/scim-user.ts';
import type { Settings } from '../../settings.ts';
import { parseSettings } from '../../settings.ts';
import type { IdentityView } from '../selection/identity-view.ts';
import { userSubject } from '../shared/subject-name.ts';

/** Plain in-memory identities for the pure RBAC functions' tests. */
export function user(
  id: string,
  userName: string,
  extra: Partial<ScimUser['spec']> = {},
  meta: Partial<ScimUser['metadata']> = {},
): ScimUser {
  return {
    apiVersion: 'scim-operator.dev/v1alpha1',
    kind: 'ScimUser',
    metadata: { name: id, labels: { 'scim-operator.dev/connection': 'entra', ...meta.labels }, ...meta },
    spec: { userName, active: true, ...extra },
  };
}

export function group(id: string, displayName: string, externalId?: string): ScimGroup {
  return {
    apiVersion: 'scim-operator.dev/v1alpha1',
    kind: 'ScimGroup',
    metadata: { name: id, labels: { 'scim-operator.dev/connection': 'entra' } },
    spec: { displayName, externalId },
  };
}

export function mapping(name: string, spec: AccessMapping['spec']): AccessMapping {
  return {
    apiVersion: 'scim-operator.dev/v1alpha1',
    kind: 'AccessMapping',
    metadata: { name, uid: `uid-${name}` },
    spec,
  };
}

export const defaultSettings: Settings = parseSettings('');

export function identities(
  users: ScimUser[],
  groups: ScimGroup[],
  members: Record<string, string[]>,
  settings = defaultSettings,
): IdentityView {
  const byId = new Map(users.map((u) => [u.metadata.name, u]));
  const connectionOk = (labels: Record<string, string> | undefined, c: string | undefined) =>
    !c || labels?.['scim-operator.dev/connection'] === c;
  // Duplicates are judged within a connection, as IdentityCache does.
  const subjects = new Map<string, string[]>();
  const key = (u: ScimUser, name: string) => `${u.metadata.labels?.['scim-operator.dev/connection'] ?? ''}/${name}`;
  for (const u of users) {
    const s = userSubject(u, settings.subjects);
    if (s.ok) subjects.set(key(u, s.name), [...(subjects.get(key(u, s.name)) ?? []), u.metadata.name]);
  }
  return {
    user: (id) => byId.get(id),
    usersByUserName: (n, c) =>
      users.filter((u) => u.spec.userName.toLowerCase() === n.toLowerCase() && connectionOk(u.metadata.labels, c)),
    usersByRole: (v, c) =>
      users.filter((u) => (u.spec.roles ?? []).some((r) => r.value === v) && connectionOk(u.metadata.labels, c)),
    groupsByDisplayName: (n, c) =>
      groups.filter((g) => g.spec.displayName.toLowerCase() === n.toLowerCase() && connectionOk(g.metadata.labels, c)),
    groupsByExternalId: (x, c) => groups.filter((g) => g.spec.externalId === x && connectionOk(g.metadata.labels, c)),
    membersOf: (id) => members[id] ?? [],
    subjectOf: (id) => {
      const u = byId.get(id);
      if (!u) return { ok: false, reason: 'NotFound', message: 'no such user' };
      const s = userSubject(u, settings.subjects);
      if (!s.ok) return s;
      if ((subjects.get(key(u, s.name)) ?? []).length > 1)
        return { ok: false, reason: 'DuplicateSubject', message: 'duplicate' };
      return s;
    },
  };
}
