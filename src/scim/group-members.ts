/**
 * Group membership rules of the SCIM service: which members may be added, and how a PATCH result becomes one
 * atomic store `MemberChange`.
 */

import { invalidValue } from './errors.ts';
import type { ScimStore, StoreContext, StoredMember } from './store.ts';

/** Parallel reads per batch when checking members, so a 1,000-member PATCH neither crawls nor floods the store. */
const LOOKUP_BATCH = 50;

/**
 * The members to store for `requested`: each must be an existing User or Group of this connection (a dangling member
 * would become an RBAC subject nobody provisioned, T45), and a group may not contain itself. A member sent without
 * `type` gets the type of what its id names.
 */
export async function resolveMembers(
  store: ScimStore,
  ctx: StoreContext,
  requested: StoredMember[],
  groupId: string | undefined,
): Promise<StoredMember[]> {
  const resolved: StoredMember[] = [];
  for (let start = 0; start < requested.length; start += LOOKUP_BATCH) {
    const batch = requested.slice(start, start + LOOKUP_BATCH);
    resolved.push(...(await Promise.all(batch.map((member) => resolveMember(store, ctx, member, groupId)))));
  }
  return resolved;
}

async function resolveMember(
  store: ScimStore,
  ctx: StoreContext,
  member: StoredMember,
  groupId: string | undefined,
): Promise<StoredMember> {
  if (member.value === groupId) throw invalidValue(`Group ${groupId} cannot be a member of itself`);
  for (const type of member.type ? [member.type] : (['User', 'Group'] as const)) {
    if (await store.get(ctx, type, member.value)) return { value: member.value, type };
  }
  throw invalidValue(`Member ${member.value} is not an existing ${member.type ?? 'User or Group'}`);
}
