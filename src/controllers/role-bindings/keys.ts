import { type TaggedKey, taggedKeys } from '../../runtime/queue-key.ts';

/** The RoleBindings controller's key: one AccessMapping, whose generated bindings it keeps. */
export type MappingKey = TaggedKey<'AccessMapping'>;

export const mappingKeys = taggedKeys(['AccessMapping']);

export const mappingKey = (name: string): MappingKey => ({ kind: 'AccessMapping', name });
