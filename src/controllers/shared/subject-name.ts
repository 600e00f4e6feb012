import { annotations } from '../../api/labels.ts';
import type { ScimUser } from '../../api/scim-user.ts';
import type { SubjectRule } from '../../settings.ts';

export type SubjectResult =
  | { ok: true; name: string }
  | { ok: false; reason: 'NoSubject' | 'ReservedSubject'; message: string };

/**
 * The Kubernetes user name of a ScimUser: the annotation `scim-operator.dev/subject` when an administrator set one,
 * otherwise the configured attribute with the configured prefix and case. It must match what the cluster's
 * authenticator puts in the user's token, or the binding grants nothing.
 */
export function userSubject(user: ScimUser, rule: SubjectRule): SubjectResult {
  const override = user.metadata.annotations?.[annotations.subject]?.trim();
  let name = override || attributeValue(user, rule.userAttribute);
  if (!override && name) {
    if (rule.lowercase) name = name.toLowerCase();
    name = rule.userPrefix + name;
  }
  return checkSubject(name, `user ${user.spec.userName}`);
}

export function groupSubject(displayName: string, externalId: string | undefined, rule: SubjectRule): SubjectResult {
  const value = rule.groupAttribute === 'externalId' ? externalId : displayName;
  return checkSubject(value ? rule.groupPrefix + value : undefined, `group ${displayName}`);
}

/**
 * Empty names and `system:` names are never bound: the latter are the API server's own identities. The prefix is
 * judged after trimming and case-folding, so ` System:masters` is refused too: an authenticator that trims or
 * lowercases names would otherwise turn it into a reserved identity.
 */
export function checkSubject(name: string | undefined, what: string): SubjectResult {
  if (!name?.trim()) return { ok: false, reason: 'NoSubject', message: `${what} has no value for the subject rule` };
  if (name.trim().toLowerCase().startsWith('system:')) {
    return { ok: false, reason: 'ReservedSubject', message: `${what} resolves to ${name}, a reserved system: name` };
  }
  return { ok: true, name };
}

function attributeValue(user: ScimUser, attribute: SubjectRule['userAttribute']): string | undefined {
  const spec = user.spec;
  switch (attribute) {
    case 'userName':
      return spec.userName;
    case 'externalId':
      return spec.externalId;
    case 'id':
      return user.metadata.name;
    case 'email':
      return (spec.emails?.find((e) => e.primary) ?? spec.emails?.[0])?.value;
    case 'workEmail':
      return spec.emails?.find((e) => e.type?.toLowerCase() === 'work')?.value;
  }
}
