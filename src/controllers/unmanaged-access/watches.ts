import { type UnmanagedKey, unmanagedUserKey } from './keys.ts';

/**
 * Which users an event can affect, pure. An unmanaged binding naming (or no longer naming) a subject concerns every
 * user with that subject; a user's own change (active, suspended label, subject annotation, deletion) concerns it.
 */
export function subjectKeys(
  subjects: readonly string[],
  usersWithSubject: (subject: string) => string[],
): UnmanagedKey[] {
  const ids = new Set(subjects.flatMap((s) => usersWithSubject(s)));
  return [...ids].map(unmanagedUserKey);
}
