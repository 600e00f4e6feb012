/**
 * The SCIM filter evaluator (RFC 7644 section 3.4.2.2): whether a resource document matches a parsed filter, with the
 * registry's case rules. Accepted beyond the RFC, because Entra sends it: the strings "true"/"false" compared with
 * boolean attributes (`roles[primary eq "True"]`).
 */

import type { AttributePath } from './attribute-path.ts';
import { findAttribute, formatAttributePath, locateAttribute } from './attribute-path.ts';
import { invalidFilter } from './errors.ts';
import type { CompareOp, Filter, FilterValue } from './filter.ts';
import { isPlainObject, parseBoolean } from './json-values.ts';
import type { AttributeDefinition, ResourceTypeName } from './schemas.ts';

/** What a path selects in a document: the attribute's definition and its values, multi-valued ones spread out. */
export interface Selection {
  definition: AttributeDefinition;
  values: unknown[];
}

/** Resolves a path against a document; undefined when the attribute is unknown in that scope. */
export type Scope = (path: AttributePath, document: Record<string, unknown>) => Selection | undefined;

/**
 * Whether `resource`, a full SCIM document of `type`, matches `filter`. Strings compare case-insensitively unless the
 * attribute is `caseExact`; a comparison on a multi-valued attribute holds when it holds for any element; a complex
 * attribute without sub-attribute compares its `value` (`emails eq "x"`, `manager eq "id"`); `ne` holds for an absent
 * attribute; `eq null` means absent. Unknown attributes never match. Throws `invalidFilter` when an operator does not
 * apply to the attribute's type (`gt` on a boolean, `co` on a dateTime).
 */
export function matchesFilter(filter: Filter, resource: Record<string, unknown>, type: ResourceTypeName): boolean {
  return evaluate(filter, resource, resourceScope(type));
}

function evaluate(filter: Filter, document: Record<string, unknown>, scope: Scope): boolean {
  switch (filter.op) {
    case 'and':
      return evaluate(filter.left, document, scope) && evaluate(filter.right, document, scope);
    case 'or':
      return evaluate(filter.left, document, scope) || evaluate(filter.right, document, scope);
    case 'not':
      return !evaluate(filter.filter, document, scope);
    case 'pr':
      return scope(filter.path, document)?.values.some(isPresent) ?? false;
    case 'valuePath': {
      const selection = scope(filter.path, document);
      if (selection?.definition.type !== 'complex') return false;
      const inner = elementScope(selection.definition);
      return selection.values.some((element) => isPlainObject(element) && evaluate(filter.filter, element, inner));
    }
    default: {
      const selection = compared(scope(filter.path, document));
      if (!selection) return false;
      const test = comparison(filter.op, selection.definition, filter.value, filter.path);
      const present = selection.values.filter(isPresent);
      if (filter.value === null) return filter.op === 'eq' ? present.length === 0 : present.length > 0;
      if (filter.op === 'ne') return present.length === 0 || present.some((v) => !test(v));
      return present.some(test);
    }
  }
}

/**
 * Resolved paths, per parsed path: a listing evaluates one filter against every candidate, and resolving against the
 * registry each time cost more than the comparisons.
 */
const located: Record<ResourceTypeName, WeakMap<AttributePath, ReturnType<typeof locateAttribute> | null>> = {
  User: new WeakMap(),
  Group: new WeakMap(),
};

function locate(type: ResourceTypeName, path: AttributePath): ReturnType<typeof locateAttribute> {
  let found = located[type].get(path);
  if (found === undefined) {
    found = locateAttribute(type, path) ?? null;
    located[type].set(path, found);
  }
  return found ?? undefined;
}

export function resourceScope(type: ResourceTypeName): Scope {
  return (path, document) => {
    const found = locate(type, path);
    if (!found) return undefined;
    const container = found.extension === undefined ? document : read(document, found.extension);
    const raw = isPlainObject(container) ? read(container, found.definition.name) : undefined;
    const elements = found.definition.multiValued ? (Array.isArray(raw) ? raw : []) : [raw];
    const sub = found.subDefinition;
    if (!sub) return { definition: found.definition, values: elements };
    return { definition: sub, values: elements.map((e) => (isPlainObject(e) ? read(e, sub.name) : undefined)) };
  };
}

export function elementScope(parent: AttributeDefinition): Scope {
  return (path, element) => {
    if (path.schema !== undefined || path.subAttribute !== undefined) return undefined;
    const definition = findAttribute(parent.subAttributes ?? [], path.attribute);
    return definition && { definition, values: [read(element, definition.name)] };
  };
}

/** A comparison on a complex attribute compares its `value` sub-attribute, if it has one. */
export function compared(selection: Selection | undefined): Selection | undefined {
  if (selection?.definition.type !== 'complex') return selection;
  const value = findAttribute(selection.definition.subAttributes ?? [], 'value');
  if (!value) return undefined;
  return { definition: value, values: selection.values.map((e) => (isPlainObject(e) ? read(e, value.name) : e)) };
}

/**
 * The predicate `actual <op> literal` for one present value (`ne` is tested as not-`eq`). Throws `invalidFilter`
 * when the operator or literal does not fit the attribute's type, whatever the data.
 */
export function comparison(
  op: CompareOp,
  definition: AttributeDefinition,
  literal: FilterValue,
  path: AttributePath,
): (actual: unknown) => boolean {
  const reject = (why: string) =>
    invalidFilter(`Operator '${op}' cannot be used on '${formatAttributePath(path)}': ${why}`);
  if (literal === null) {
    if (op !== 'eq' && op !== 'ne') throw reject('only eq and ne compare with null');
    return () => false;
  }
  switch (definition.type) {
    case 'string':
    case 'reference': {
      const fold = definition.caseExact ? (s: string) => s : (s: string) => s.toLowerCase();
      const expected = fold(String(literal));
      return (actual) => typeof actual === 'string' && compareStrings(op, fold(actual), expected);
    }
    case 'boolean': {
      if (op !== 'eq' && op !== 'ne') throw reject('a boolean is only compared with eq or ne');
      const expected = parseBoolean(literal);
      if (expected === undefined) throw reject(`expected true or false, found ${JSON.stringify(literal)}`);
      return (actual) => parseBoolean(actual) === expected;
    }
    case 'dateTime': {
      if (op === 'co' || op === 'sw' || op === 'ew') throw reject('co, sw and ew apply to strings only');
      const expected = typeof literal === 'string' ? Date.parse(literal) : Number.NaN;
      if (Number.isNaN(expected)) throw reject(`expected a dateTime string, found ${JSON.stringify(literal)}`);
      return (actual) => typeof actual === 'string' && compareNumbers(op, Date.parse(actual), expected);
    }
    case 'integer':
    case 'decimal': {
      if (op === 'co' || op === 'sw' || op === 'ew') throw reject('co, sw and ew apply to strings only');
      const expected = typeof literal === 'boolean' ? Number.NaN : Number(literal);
      if (Number.isNaN(expected)) throw reject(`expected a number, found ${JSON.stringify(literal)}`);
      return (actual) => typeof actual === 'number' && compareNumbers(op, actual, expected);
    }
    default:
      return () => false;
  }
}

function compareStrings(op: CompareOp, actual: string, expected: string): boolean {
  switch (op) {
    case 'co':
      return actual.includes(expected);
    case 'sw':
      return actual.startsWith(expected);
    case 'ew':
      return actual.endsWith(expected);
    default:
      return compareOrdered(op, actual < expected ? -1 : actual > expected ? 1 : 0);
  }
}

function compareNumbers(op: CompareOp, actual: number, expected: number): boolean {
  return !Number.isNaN(actual) && compareOrdered(op, actual - expected);
}

function compareOrdered(op: CompareOp, sign: number): boolean {
  switch (op) {
    case 'gt':
      return sign > 0;
    case 'ge':
      return sign >= 0;
    case 'lt':
      return sign < 0;
    case 'le':
      return sign <= 0;
    default:
      return sign === 0;
  }
}

/** RFC 7644: present means a non-empty value, or for a complex attribute a non-empty node. */
function isPresent(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return false;
  if (Array.isArray(value)) return value.some(isPresent);
  if (isPlainObject(value)) return Object.values(value).some(isPresent);
  return true;
}

/**
 * Documents use canonical names; a differently cased key is still found. Absent attributes are the common miss (every
 * term meets every candidate), so the scan compares lengths before it folds case, and allocates nothing.
 */
function read(document: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(document, name)) return document[name];
  let lower: string | undefined;
  for (const key of Object.keys(document)) {
    if (key.length !== name.length) continue;
    lower ??= name.toLowerCase();
    if (key.toLowerCase() === lower) return document[key];
  }
  return undefined;
}
