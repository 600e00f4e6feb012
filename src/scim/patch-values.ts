/** Value tests and edits of the PATCH engine, on canonical values (RFC 7643 section 2.4 for multi-valued ones). */

import { isDeepStrictEqual } from 'node:util';
import type { Filter } from './filter.ts';
import { isPlainObject } from './json-values.ts';
import type { AttributeDefinition } from './schemas.ts';

/** A key equal for two canonical values exactly when they are deep-equal (object keys in any order). */
export function valueKey(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(valueKey).join(',')}]`;
  if (!isPlainObject(value)) return String(JSON.stringify(value));
  const keys = Object.keys(value).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${valueKey(value[key])}`).join(',')}}`;
}

/** The element a filter such as `type eq "work" and primary eq true` describes; undefined for other filters. */
export function elementFromFilter(filter: Filter): Record<string, unknown> | undefined {
  if (filter.op === 'and') {
    const left = elementFromFilter(filter.left);
    const right = elementFromFilter(filter.right);
    return left && right ? { ...left, ...right } : undefined;
  }
  if (filter.op !== 'eq' || filter.value === null) return undefined;
  if (filter.path.schema !== undefined || filter.path.subAttribute !== undefined) return undefined;
  return { [filter.path.attribute]: filter.value };
}

/** Entra's `remove` with a value array: an element goes when it has every sub-attribute a given value lists. */
export function sameElement(def: AttributeDefinition, element: unknown, given: unknown): boolean {
  if (!isPlainObject(element) || !isPlainObject(given) || Object.keys(given).length === 0) {
    return isDeepStrictEqual(element, given);
  }
  return Object.entries(given).every(([name, expected]) => {
    const actual = element[name];
    const sub = def.subAttributes?.find((s) => s.name === name);
    if (typeof actual === 'string' && typeof expected === 'string' && sub && !sub.caseExact) {
      return actual.toLowerCase() === expected.toLowerCase();
    }
    return isDeepStrictEqual(actual, expected);
  });
}

/**
 * A complex value naming another `value` (a new manager) replaces the old one whole rather than merging into it, so
 * the old manager's `$ref` does not survive next to the new id.
 */
export function pointsElsewhere(existing: Record<string, unknown>, value: unknown): boolean {
  return isPlainObject(value) && value.value !== undefined && existing.value !== value.value;
}

/** RFC 7643 section 2.4: a value newly written as primary takes the flag from every other value. */
export function demoteOtherPrimaries(elements: unknown, written: unknown[]): void {
  if (!Array.isArray(elements) || !written.some((w) => isPlainObject(w) && w.primary === true)) return;
  for (const element of elements) {
    if (isPlainObject(element) && element.primary === true && !written.includes(element)) element.primary = false;
  }
}
