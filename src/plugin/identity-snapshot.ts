import { labels } from '../api/labels.ts';
import type { ScimGroup } from '../api/scim-group.ts';
import type { ScimUser } from '../api/scim-user.ts';
import type { IdentityView } from '../controllers/selection/identity-view.ts';
import { userSubject } from '../controllers/shared/subject-name.ts';
import type { SubjectRule } from '../settings.ts';

/**
 * An IdentityView over identities read once from the API server, for `plan`, which must see every user a mapping
 * could select. Same contract as the operator's IdentityCache, including the refusal of a subject two users of
 * one connection share.
 */
export function identitySnapshot(
  users: readonly ScimUser[],
  groups: readonly ScimGroup[],
  membersByGroup: ReadonlyMap<string, string[]>,
  rule: SubjectRule,
): IdentityView {
  const byId = new Map(users.map((u) => [u.metadata.name, u]));
  const connectionOf = (o: ScimUser | ScimGroup) => o.metadata.labels?.[labels.connection];
  const inScope = (o: ScimUser | ScimGroup, c: string | undefined) => !c || connectionOf(o) === c;
  const byUserName = groupBy(users, (u) => u.spec.userName.toLowerCase());
  const byDisplayName = groupBy(groups, (g) => g.spec.displayName.toLowerCase());
  const byExternalId = groupBy(groups, (g) => g.spec.externalId ?? '');
  const holders = new Map<string, string[]>();
  for (const u of users) {
    const s = userSubject(u, rule);
    if (!s.ok) continue;
    const key = `${connectionOf(u) ?? ''}\u0000${s.name}`;
    holders.set(key, [...(holders.get(key) ?? []), u.metadata.name]);
  }
  return {
    user: (id) => byId.get(id),
    usersByUserName: (n, c) => (byUserName.get(n.toLowerCase()) ?? []).filter((u) => inScope(u, c)),
    usersByRole: (v, c) => users.filter((u) => (u.spec.roles ?? []).some((r) => r.value === v) && inScope(u, c)),
    groupsByDisplayName: (n, c) => (byDisplayName.get(n.toLowerCase()) ?? []).filter((g) => inScope(g, c)),
    groupsByExternalId: (x, c) => (x ? (byExternalId.get(x) ?? []) : []).filter((g) => inScope(g, c)),
    membersOf: (id) => membersByGroup.get(id) ?? [],
    subjectOf: (id) => {
      const u = byId.get(id);
      if (!u) return { ok: false, reason: 'NotFound', message: `user ${id} does not exist` };
      const s = userSubject(u, rule);
      if (!s.ok) return s;
      const sharing = holders.get(`${connectionOf(u) ?? ''}\u0000${s.name}`) ?? [];
      if (sharing.length > 1)
        return {
          ok: false,
          reason: 'DuplicateSubject',
          message: `subject ${s.name} is shared by ${sharing.length} users`,
        };
      return s;
    },
  };
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}
