import { type TaggedKey, taggedKeys } from '../../runtime/queue-key.ts';

/**
 * The downstream accounts controller's key: a ScimUser (its accounts in every app it is or was assigned to, and its
 * finalizer) or a DownstreamApp (its status, group push and finalizer).
 */
export type AccountsKey = TaggedKey<'ScimUser' | 'DownstreamApp'>;

export const accountsKeys = taggedKeys(['ScimUser', 'DownstreamApp']);

export const accountsKey = (userId: string): AccountsKey => ({ kind: 'ScimUser', name: userId });
export const appKey = (name: string): AccountsKey => ({ kind: 'DownstreamApp', name });
