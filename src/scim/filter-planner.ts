/**
 * The SCIM query planner: the cheapest store lookup (`QueryPlan`) whose result contains every resource a parsed filter
 * can match.
 */

import { locateAttribute } from './attribute-path.ts';
import type { Filter } from './filter.ts';
import { compared, comparison, elementScope, resourceScope, type Scope } from './filter-evaluator.ts';
import { isResourceId } from './resource-id.ts';
import type { ResourceTypeName } from './schemas.ts';
import type { IndexedAttribute, QueryPlan } from './store.ts';

const ALL: QueryPlan = { kind: 'all' };
const NONE: QueryPlan = { kind: 'none' };

/**
 * The cheapest store lookup whose result contains every resource `filter` can match; the caller applies
 * `matchesFilter` to the result. An `eq` on an indexed attribute (alone or as an operand of `and`) becomes
 * `{ kind: 'eq' }` with the literal as given; a filter that only tests unknown attributes, or `id eq` something that
 * is not a resource id, becomes `none`; anything else is `all`. Throws `invalidFilter` for operator/type mismatches, so that error does not depend on the data.
 */
export function planQuery(filter: Filter, type: ResourceTypeName): QueryPlan {
  validate(filter, resourceScope(type));
  return plan(filter, type);
}

function plan(filter: Filter, type: ResourceTypeName): QueryPlan {
  switch (filter.op) {
    case 'and': {
      const left = plan(filter.left, type);
      const right = plan(filter.right, type);
      if (left.kind === 'none' || right.kind === 'none') return NONE;
      return left.kind === 'eq' ? left : right;
    }
    case 'or': {
      const left = plan(filter.left, type);
      const right = plan(filter.right, type);
      if (left.kind === 'none') return right;
      return right.kind === 'none' ? left : ALL;
    }
    case 'not':
      return ALL;
    case 'valuePath': {
      const found = locateAttribute(type, filter.path);
      if (!found) return NONE;
      const isEmails = type === 'User' && found.extension === undefined && found.definition.name === 'emails';
      const value = isEmails ? valueEquality(filter.filter) : undefined;
      return value === undefined ? ALL : eqPlan('emails.value', value);
    }
    default: {
      const found = locateAttribute(type, filter.path);
      if (!found) return NONE;
      if (filter.op !== 'eq' || filter.value === null || found.extension !== undefined) return ALL;
      const attribute = indexedAttribute(type, found.definition.name, found.subDefinition?.name);
      // Ids are server-issued UUIDs: `id eq "."` names nothing, and must not reach the store as a name to read.
      if (attribute === 'id' && !isResourceId(filter.value)) return NONE;
      return attribute ? eqPlan(attribute, filter.value) : ALL;
    }
  }
}

function indexedAttribute(type: ResourceTypeName, name: string, sub: string | undefined): IndexedAttribute | undefined {
  if (type === 'User' && name === 'emails' && (sub === undefined || sub === 'value')) return 'emails.value';
  if (sub !== undefined) return undefined;
  if (name === 'id' || name === 'externalId') return name;
  if (type === 'User' && name === 'userName') return 'userName';
  if (type === 'Group' && name === 'displayName') return 'displayName';
  return undefined;
}

/** The literal of a `value eq` that every element matching this value filter satisfies. */
function valueEquality(filter: Filter): string | number | boolean | undefined {
  if (filter.op === 'and') return valueEquality(filter.left) ?? valueEquality(filter.right);
  if (filter.op !== 'eq' || filter.value === null) return undefined;
  const { schema, attribute, subAttribute } = filter.path;
  return schema === undefined && subAttribute === undefined && attribute.toLowerCase() === 'value'
    ? filter.value
    : undefined;
}

function eqPlan(attribute: IndexedAttribute, value: string | number | boolean): QueryPlan {
  return { kind: 'eq', attribute, value: String(value) };
}

function validate(filter: Filter, scope: Scope): void {
  switch (filter.op) {
    case 'and':
    case 'or':
      validate(filter.left, scope);
      validate(filter.right, scope);
      return;
    case 'not':
      validate(filter.filter, scope);
      return;
    case 'pr':
      return;
    case 'valuePath': {
      const selection = scope(filter.path, {});
      if (selection?.definition.type === 'complex') validate(filter.filter, elementScope(selection.definition));
      return;
    }
    default: {
      const selection = compared(scope(filter.path, {}));
      if (selection) comparison(filter.op, selection.definition, filter.value, filter.path);
    }
  }
}
