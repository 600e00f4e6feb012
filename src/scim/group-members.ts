/**
 * Group membership rules of the SCIM service: which members may be added, and how a PATCH result becomes one
 * atomic store `MemberChange`.
 */

import { invalidValue } from './errors.ts';
import type { ScimStore, StoreContext, StoredMember } from './store.ts';

/**
 * The members to store for `requested`: each must be an existing User or Group of this connection (a dangling member
 * would become an RBAC subject nobody provisioned, T45), and a group may not contain itself. A member sent without
 * `type` gets the type of what its id names. One `existing` call per type, so a 1,000-member PATCH costs no 1,000
 * reads.
 */
export async function resolveMembers(
  store: ScimStore,
  ctx: StoreContext,
  requested: StoredMember[],
  groupId: string | undefined,
): Promise<StoredMember[]> {
  const self = requested.find((member) => member.value === groupId);
  if (self) throw invalidValue(`Group ${groupId} cannot be a member of itself`);
  const ids = (type: 'User' | 'Group') =>
    requested.filter((m) => m.type === type || m.type === undefined).map((m) => m.value);
  const users = await store.existing(ctx, 'User', ids('User'));
  const untypedLeft = requested.filter((m) => m.type === 'Group' || (m.type === undefined && !users.has(m.value)));
  const groups = untypedLeft.length
    ? await store.existing(
        ctx,
        'Group',
        untypedLeft.map((m) => m.value),
      )
    : new Set<string>();
  return requested.map((member) => {
    const type = member.type ?? (users.has(member.value) ? 'User' : groups.has(member.value) ? 'Group' : undefined);
    const exists = type === 'User' ? users.has(member.value) : type === 'Group' && groups.has(member.value);
    if (!type || !exists)
      throw invalidValue(`Member ${member.value} is not an existing ${member.type ?? 'User or Group'}`);
    return { value: member.value, type };
  });
}
