/** The PatchOp message (RFC 7644 section 3.5.2) as the normaliser hands it to the PATCH engine. */

import type { Filter } from './filter.ts';
import { isPlainObject } from './json-values.ts';
import type { PatchPath } from './patch-path.ts';
import type { ResourceTypeName } from './schemas.ts';
import type { StoredMember } from './store.ts';

export const PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

export type PatchOp = 'add' | 'remove' | 'replace';

/**
 * One normalised PATCH operation. `path` is canonical (registry spelling, `schema` set only for extension
 * attributes). `value` is canonical for its target: a partial resource when pathless, an array for a multi-valued
 * attribute, one element for a value-filtered path, a scalar for a simple attribute. `add` and `replace` always
 * carry a value; clearing (`null`, `""`) is expressed as `remove`.
 */
export interface PatchOperation {
  op: PatchOp;
  path?: PatchPath;
  value?: unknown;
  /**
   * The `id` a pathless value carried (Okta's group rename sends the group's own). It is not an attribute to write,
   * but a claim about the target: `applyPatch` refuses the request when it names another resource (RFC 7643 section 3.1: `id` is readOnly).
   */
  expectId?: string;
}

/** The member ids a normalised operation names: in its value, or in the `value eq` terms of its `members[...]` filter. */
export function memberIdsOf(type: ResourceTypeName, operation: PatchOperation): string[] {
  if (type !== 'Group') return [];
  const { path, value } = operation;
  const values = (list: unknown) => (Array.isArray(list) ? list.map((m: StoredMember) => m.value) : []);
  if (!path) return isPlainObject(value) ? values(value.members) : [];
  if (path.attribute.attribute !== 'members') return [];
  if (path.valueFilter) return filterValues(path.valueFilter);
  return isPlainObject(value) ? [String(value.value)] : values(value);
}

function filterValues(filter: Filter): string[] {
  switch (filter.op) {
    case 'and':
    case 'or':
      return [...filterValues(filter.left), ...filterValues(filter.right)];
    case 'not':
    case 'valuePath':
    case 'pr':
      return [];
    default:
      return typeof filter.value === 'string' ? [filter.value] : [];
  }
}
