import type { Condition } from '../../api/crd-builder.ts';
import { labels } from '../../api/labels.ts';
import type { ScimUser } from '../../api/scim-user.ts';
import type { IdentityView } from '../selection/identity-view.ts';

/** Reasons of a refused subject: the user holds no access until an administrator or the IdP fixes it. */
const REFUSED_SUBJECT = new Set(['DuplicateSubject', 'ReservedSubject', 'NoSubject']);

export function isRefusedSubject(reason: string): boolean {
  return REFUSED_SUBJECT.has(reason);
}

/**
 * A ScimUser's Ready condition, pure: suspended by an administrator, then deactivated by the IdP, then a refused
 * subject, else provisioned with the number of generated bindings naming its subject.
 */
export function userReadiness(
  user: ScimUser,
  subject: ReturnType<IdentityView['subjectOf']>,
  bindingCount: number,
): Omit<Condition, 'type' | 'lastTransitionTime'> {
  if (user.metadata.labels?.[labels.suspended] === 'true') {
    return { status: 'False', reason: 'Suspended', message: 'Suspended by an administrator: all access revoked' };
  }
  if (user.spec.active === false) {
    return { status: 'False', reason: 'Inactive', message: 'Deactivated by the identity provider: all access revoked' };
  }
  if (!subject.ok) return { status: 'False', reason: subject.reason, message: subject.message };
  return {
    status: 'True',
    reason: 'Provisioned',
    message: `Subject ${subject.name} is named in ${bindingCount} binding(s)`,
  };
}
