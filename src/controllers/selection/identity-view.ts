import type { ScimGroup } from '../../api/scim-group.ts';
import type { ScimUser } from '../../api/scim-user.ts';

/**
 * What selection needs to know about SCIM identities, as read from informer caches (IdentityCache implements it).
 * Pure functions take it as an argument, so they can be tested with plain maps. Lookups by name filter by the
 * connection label when one is given.
 */
export interface IdentityView {
  user(id: string): ScimUser | undefined;
  usersByUserName(userName: string, connection: string | undefined): ScimUser[];
  groupsByDisplayName(displayName: string, connection: string | undefined): ScimGroup[];
  groupsByExternalId(externalId: string, connection: string | undefined): ScimGroup[];
  /**
   * Users holding a role with exactly this value (`spec.roles[].value`, case-sensitive). Optional so that views
   * written before roles could select stay valid; `resolveSelection` needs it for a mapping with `subjects.roles`.
   */
  usersByRole?(value: string, connection: string | undefined): ScimUser[];
  /** Direct member ids of a group (users and nested groups). */
  membersOf(groupId: string): string[];
  /** The subject name for a user, or why it is refused (including duplicates across users). */
  subjectOf(userId: string): { ok: true; name: string } | { ok: false; reason: string; message: string };
}
