import { type TaggedKey, taggedKeys } from '../../runtime/queue-key.ts';

/** The identity status controller's key: one ScimUser or one ScimGroup, whose status it writes. */
export type IdentityKey = TaggedKey<'ScimUser' | 'ScimGroup'>;

export const identityKeys = taggedKeys(['ScimUser', 'ScimGroup']);

export const userKey = (id: string): IdentityKey => ({ kind: 'ScimUser', name: id });
export const groupKey = (id: string): IdentityKey => ({ kind: 'ScimGroup', name: id });
