/**
 * Group membership rules of the SCIM service: which member ids a PATCH may name, and which members a Group may hold.
 * Turning PATCH operations into one store `MemberChange` is the PATCH engine's (`patch.ts`).
 */

import { excerpt, invalidValue, noTarget } from './errors.ts';
import { memberIdsOf, type PatchOperation } from './patch-operation.ts';
import { isResourceId } from './resource-id.ts';
import { limits, type ResourceTypeName } from './schemas.ts';
import type { ScimStore, StoreContext, StoredMember } from './store.ts';

/**
 * Refuses, before the store is asked anything, PATCH operations naming a member by something that is not a resource
 * id: a removal with `noTarget` (its target cannot exist, RFC 7644 section 3.5.2.2), an add or replace with
 * `invalidValue`.
 */
export function assertMemberIds(type: ResourceTypeName, operations: PatchOperation[]): void {
  for (const operation of operations) {
    const malformed = memberIdsOf(type, operation).find((id) => !isResourceId(id));
    if (malformed === undefined) continue;
    const error = operation.op === 'remove' ? noTarget : invalidValue;
    throw error(`Member '${excerpt(malformed)}' is not a resource id, so it names no User or Group`);
  }
}

/**
 * The members to store for `requested`: each must be an existing User or Group of this connection (a dangling member
 * would become an RBAC subject nobody provisioned), and a group may not contain itself. A member sent without
 * `type` gets the type of what its id names. One `existing` call per type, so a 1,000-member PATCH costs no 1,000
 * reads. Throws `invalidValue` without asking the store when there are more than `limits.maxMembersPerRequest`
 * members or a value is not a resource id, and skips the Group lookup when a member typed `User` is already missing.
 */
export async function resolveMembers(
  store: ScimStore,
  ctx: StoreContext,
  requested: StoredMember[],
  groupId: string | undefined,
): Promise<StoredMember[]> {
  if (requested.length > limits.maxMembersPerRequest) {
    throw invalidValue(
      `The request names ${requested.length} group members; at most ${limits.maxMembersPerRequest} (maxMembersPerRequest) are accepted`,
    );
  }
  const malformed = requested.find((member) => !isResourceId(member.value));
  if (malformed) throw invalidValue(`Member '${excerpt(malformed.value)}' is not a resource id`);
  const self = requested.find((member) => member.value === groupId);
  if (self) throw invalidValue(`Group ${groupId} cannot be a member of itself`);
  const ids = (type: 'User' | 'Group') =>
    requested.filter((m) => m.type === type || m.type === undefined).map((m) => m.value);
  const users = await store.existing(ctx, 'User', ids('User'));
  const missingUser = requested.find((m) => m.type === 'User' && !users.has(m.value));
  if (missingUser) throw notAMember(missingUser);
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
    if (!type || !exists) throw notAMember(member);
    return { value: member.value, type };
  });
}

function notAMember(member: StoredMember) {
  return invalidValue(`Member ${member.value} is not an existing ${member.type ?? 'User or Group'}`);
}
