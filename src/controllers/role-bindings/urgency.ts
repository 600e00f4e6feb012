/**
 * Which lane an event's mapping keys take (docs/adr/0022-revocation-first.md). A change that can take access away
 * goes to the urgent lane, ahead of everything else; a change that can only give access is coalesced, so a mapping
 * whose groups receive a stream of member additions (an IdP's initial sync) is reconciled once per window instead of
 * once per PATCH. Anything this cannot classify takes the ordinary lane. Erring towards urgent only costs a reconcile.
 */
export type Lane = 'urgent' | 'ordinary' | 'coalesced';

/**
 * A new user can only be granted (an `excludeUsers` entry naming it grants nothing either); an update can deactivate,
 * suspend, delete, re-subject or move it to another connection, and a delete revokes.
 */
export function userEventLane(event: 'add' | 'update' | 'delete'): Lane {
  return event === 'add' ? 'coalesced' : 'urgent';
}

/** A new group can only grant; a rename or a delete can move it out of a mapping. */
export function groupEventLane(event: 'add' | 'update' | 'delete'): Lane {
  return event === 'add' ? 'coalesced' : 'urgent';
}

/**
 * A membership change revokes when one of the changed members is no longer in the group (mappings select groups,
 * never exclude them, so an added member only gains access).
 */
export function membershipLane(
  group: string,
  changed: readonly string[],
  groupsOf: (member: string) => string[],
): Lane {
  for (const member of changed) if (!groupsOf(member).includes(group)) return 'urgent';
  return 'coalesced';
}
