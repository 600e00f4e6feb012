import type { KubernetesObject } from '@kubernetes/client-node';
import type { AccessMapping } from '../../api/access-mapping.ts';
import type { ScimGroup } from '../../api/scim-group.ts';
import type { ScimUser } from '../../api/scim-user.ts';
import { mentionsAnyGroup, mentionsUser } from '../selection/selection.ts';
import { type MappingKey, mappingKey } from './keys.ts';

/**
 * Which AccessMappings an event can affect: the event-to-key half of the RoleBindings controller, pure so it is
 * tested on its own. Erring wide costs a no-op reconcile; erring narrow leaves access stale until the resync.
 */

/** A generated binding edited or deleted by hand (drift) goes back to the mapping that owns it. */
export function ownerMapping(binding: KubernetesObject): MappingKey[] {
  const owner = binding.metadata?.ownerReferences?.find((r) => r.kind === 'AccessMapping');
  return owner ? [mappingKey(owner.name)] : [];
}

/** A user's change matters to the mappings that name it (excluded too) or one of its groups. */
export function mappingsOfUser(
  mappings: readonly AccessMapping[],
  user: ScimUser,
  groupsOfUser: readonly ScimGroup[],
): MappingKey[] {
  return mappings.filter((m) => mentionsUser(m, user, groupsOfUser)).map((m) => mappingKey(m.metadata.name));
}

/** A membership change of a group matters to the mappings that name the group. */
export function mappingsOfGroup(mappings: readonly AccessMapping[], group: ScimGroup): MappingKey[] {
  return mappings.filter((m) => mentionsAnyGroup(m, [group])).map((m) => mappingKey(m.metadata.name));
}

/**
 * Every mapping: for a namespace appearing or relabelled (any list or selector may match it), and for a group
 * changing (a rename can move it into or out of any mapping).
 */
export function allMappings(mappings: readonly AccessMapping[]): MappingKey[] {
  return mappings.map((m) => mappingKey(m.metadata.name));
}
