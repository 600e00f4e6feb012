import type { ScimUser } from '../../api/scim-user.ts';
import type { Settings } from '../../settings.ts';
import { userSubject } from '../shared/subject-name.ts';
import { type IdentityKey, userKey } from './keys.ts';

/**
 * Which identities' status an event can change: the event-to-key half of the identity status controller. A user's
 * subject is refused when another user of its connection has the same one, so a user changing (or dropping) its
 * subject changes the status of every user sharing the old or the new one; `SubjectPeers` remembers each user's last
 * subject to find the old peers.
 */
export class SubjectPeers {
  private readonly lastSubject = new Map<string, string>();
  private readonly rule: Settings['subjects'];
  private readonly usersWithSubject: (subject: string) => string[];

  constructor(rule: Settings['subjects'], usersWithSubject: (subject: string) => string[]) {
    this.rule = rule;
    this.usersWithSubject = usersWithSubject;
  }

  /** The user itself and the users sharing its old or new subject. */
  keysFor(user: ScimUser, event: 'add' | 'update' | 'delete'): IdentityKey[] {
    const id = user.metadata.name;
    const keys = new Map<string, IdentityKey>([[id, userKey(id)]]);
    const subject = userSubject(user, this.rule);
    const now = subject.ok && event !== 'delete' ? subject.name : undefined;
    for (const name of new Set([this.lastSubject.get(id), now])) {
      if (name) for (const peer of this.usersWithSubject(name)) keys.set(peer, userKey(peer));
    }
    if (now) this.lastSubject.set(id, now);
    else this.lastSubject.delete(id);
    return [...keys.values()];
  }
}

/** A group's members changed: the status of each changed member (its grants, if a mapping selects the group). */
export function membershipKeys(changedMembers: Iterable<string>): IdentityKey[] {
  return [...changedMembers].map(userKey);
}

/** Bindings naming these subjects changed: the binding count of their users. */
export function bindingSubjectKeys(
  subjects: readonly string[],
  usersWithSubject: (s: string) => string[],
): IdentityKey[] {
  return subjects.flatMap((subject) => usersWithSubject(subject).map(userKey));
}
