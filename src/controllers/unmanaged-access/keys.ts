import { type TaggedKey, taggedKeys } from '../../runtime/queue-key.ts';

/** The unmanaged-access controller's key: one ScimUser, whose subject it looks for in unmanaged bindings. */
export type UnmanagedKey = TaggedKey<'ScimUser'>;

export const unmanagedKeys = taggedKeys(['ScimUser']);

export const unmanagedUserKey = (id: string): UnmanagedKey => ({ kind: 'ScimUser', name: id });
