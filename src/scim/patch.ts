/**
 * The PATCH engine (RFC 7644 section 3.5.2): applies normalised operations to a canonical resource document in
 * memory, all or nothing. Group members are not part of the document: groups can have 100,000 members, so member
 * operations become a `MemberChange` for the store and never need the current member list.
 */

import { isDeepStrictEqual } from 'node:util';
import type { AttributePath, PatchPath } from './attribute-path.ts';
import { formatAttributePath, locateAttribute } from './attribute-path.ts';
import { invalidFilter, invalidPath, invalidValue, mutability, noTarget } from './errors.ts';
import type { Filter } from './filter.ts';
import { matchesFilter } from './filter.ts';
import { isPlainObject } from './json-values.ts';
import type { PatchOp, PatchOperation } from './normalise.ts';
import {
  assertMultiValuedRules,
  canonicalValue,
  coreSchema,
  extensionSchemas,
  isMember,
  objectAt,
  sameName,
  toMembers,
  tooManyValues,
} from './normalise.ts';
import type { AttributeDefinition, ResourceTypeName } from './schemas.ts';
import type { MemberChange, StoredMember } from './store.ts';

/**
 * `resource` is the patched document (a new object; the input is never modified). `members` is what to ask of
 * `ScimStore.changeMembers`, or `unchanged` when no operation touched members; a full replacement is
 * `{ remove: 'all', add: [...] }`, relying on the store applying `remove` before `add`. `changed` is false when
 * `resource` deep-equals the input, so the caller can skip the write; it says nothing about members.
 */
export interface PatchResult {
  resource: Record<string, unknown>;
  members: MemberChange | 'unchanged';
  changed: boolean;
}

/**
 * Applies `operations` in order to `resource`, a canonical document (as `normaliseResource` returns, without `id`,
 * `meta` and Group `members`). Throws, leaving `resource` untouched:
 * - `invalidPath` for an unknown attribute, a sub-attribute of a multi-valued attribute without a value filter, or a
 *   member path other than `members`/`members[filter]`;
 * - `invalidFilter` for a value filter on a simple attribute, on a single-valued complex attribute except in
 *   `remove` (Entra's `manager[value eq "id"]`), or on `members` other than `value eq` joined by `or`;
 * - `mutability` for a readOnly attribute or a change to an immutable attribute that has a value;
 * - `invalidValue` for a value of the wrong type, the removal of a required attribute (the RFC names no scimType for
 *   it; `invalidValue` is "a required value was missing") or a multi-valued attribute left with two primaries or two
 *   values of one canonical type;
 * - `noTarget` for `remove` without a path, and for a filtered `replace` that matches nothing and whose filter does
 *   not describe a new element (anything but `eq` joined by `and`).
 *
 * Cost: every operation is linear in the values it names plus the values of its target, and a multi-valued target
 * never holds more than its `maxValues` (`invalidValue` beyond, checked after each operation), so a request costs at
 * most `limits.maxPatchOperations` times that.
 */
export function applyPatch(
  type: ResourceTypeName,
  resource: Record<string, unknown>,
  operations: PatchOperation[],
  /** The id of the target when `resource` does not carry it (stored attributes never do). */
  targetId: string | undefined = typeof resource.id === 'string' ? resource.id : undefined,
): PatchResult {
  const patch = new Patch(type, structuredClone(resource));
  for (const operation of operations) {
    if (operation.expectId !== undefined && operation.expectId !== targetId) {
      throw mutability(`'id' is readOnly: this request names ${operation.expectId}, not ${String(targetId)}`);
    }
    patch.apply(operation);
  }
  patch.finish(resource);
  return {
    resource: patch.document,
    members: patch.members.result(),
    changed: !isDeepStrictEqual(patch.document, resource),
  };
}

interface Target {
  def: AttributeDefinition;
  extension?: string;
  /** `name.givenName`, or what follows `]` in `emails[type eq "work"].value`. */
  sub?: AttributeDefinition;
  filter?: Filter;
  label: string;
}

class Patch {
  readonly type: ResourceTypeName;
  readonly document: Record<string, unknown>;
  readonly members = new MemberChanges();
  /** Core attributes written, whose multi-valued rules are checked at the end. */
  readonly touched = new Set<string>();

  constructor(type: ResourceTypeName, document: Record<string, unknown>) {
    this.type = type;
    this.document = document;
  }

  apply(operation: PatchOperation): void {
    const { op, path, value } = operation;
    if (path) {
      this.applyTo(op, this.resolve(path), value);
      return;
    }
    if (op === 'remove') throw noTarget('remove requires a path');
    if (!isPlainObject(value)) throw invalidValue(`An ${op} without a path needs an object value`);
    for (const [key, entry] of Object.entries(value)) {
      const extension = extensionSchemas(this.type).find((s) => s.id === key);
      if (!extension) {
        this.applyTo(op, this.resolve({ attribute: { attribute: key } }), entry);
        continue;
      }
      if (!isPlainObject(entry)) throw invalidValue(`Attribute '${key}' must be an object`);
      for (const [name, subEntry] of Object.entries(entry)) {
        this.applyTo(op, this.resolve({ attribute: { schema: key, attribute: name } }), subEntry);
      }
    }
  }

  finish(input: Record<string, unknown>): void {
    for (const { id } of extensionSchemas(this.type)) {
      const object = this.document[id];
      const wasEmpty = isPlainObject(input[id]) && Object.keys(input[id]).length === 0;
      if (isPlainObject(object) && Object.keys(object).length === 0 && !wasEmpty) delete this.document[id];
    }
    for (const def of coreSchema(this.type).attributes) {
      if (def.required && input[def.name] !== undefined && this.document[def.name] === undefined) {
        throw invalidValue(`Attribute '${def.name}' is required and cannot be removed`);
      }
    }
    const touched: Record<string, unknown> = {};
    for (const name of this.touched) touched[name] = this.document[name];
    assertMultiValuedRules(this.type, touched);
  }

  private resolve(path: PatchPath): Target {
    const { schema, attribute, subAttribute: dotted } = path.attribute;
    const found = locateAttribute(this.type, schema === undefined ? { attribute } : { schema, attribute });
    const label = formatAttributePath(path.attribute);
    if (!found) throw invalidPath(`Unknown attribute '${label}'`);
    const def = found.definition;
    const subName = dotted ?? path.subAttribute;
    const sub = subName === undefined ? undefined : def.subAttributes?.find((s) => sameName(s.name, subName));
    if (subName !== undefined && !sub) throw invalidPath(`Unknown sub-attribute in '${label}.${subName}'`);
    if (dotted !== undefined && path.subAttribute !== undefined) {
      throw invalidPath(`'${label}' names two sub-attributes`);
    }
    if (path.valueFilter && def.type !== 'complex') {
      throw invalidFilter(`A value filter needs a complex attribute; '${def.name}' is a ${def.type}`);
    }
    if (sub && def.multiValued && !path.valueFilter && !isMember(def)) {
      throw invalidPath(
        `'${def.name}' is multi-valued: select elements with a filter, as in ${def.name}[type eq "work"]`,
      );
    }
    const target: Target = { def, label: found.extension ? `${found.extension}:${def.name}` : def.name };
    if (found.extension) target.extension = found.extension;
    if (sub) target.sub = sub;
    if (path.valueFilter) target.filter = path.valueFilter;
    return target;
  }

  private applyTo(op: PatchOp, target: Target, value: unknown): void {
    const { def, sub } = target;
    if (def.mutability === 'readOnly' || sub?.mutability === 'readOnly') {
      throw mutability(`Attribute '${target.label}${sub ? `.${sub.name}` : ''}' is readOnly`);
    }
    if (this.type === 'Group' && isMember(def)) {
      this.applyToMembers(op, target, value);
      return;
    }
    if (target.filter && !def.multiValued && op !== 'remove') {
      throw invalidFilter(`'${def.name}' is single-valued: a value filter can only select it for removal`);
    }
    const container = this.container(target.extension);
    const before = def.mutability === 'immutable' ? structuredClone(container[def.name]) : undefined;
    let canonical: unknown;
    if (op !== 'remove') {
      const shape = target.filter && !sub ? { ...def, multiValued: false } : (sub ?? def);
      canonical = canonicalValue(shape, value, sub ? `${target.label}.${sub.name}` : target.label);
    }
    // A value that canonicalises to nothing (null, "") clears the target, as the normaliser's removals do.
    if (op === 'remove' || canonical === undefined) this.remove(container, target, value);
    else if (target.filter) this.replaceFiltered(container, target, canonical);
    else if (sub) objectAt(container, def.name)[sub.name] = canonical;
    else if (op === 'add') this.add(container, def, canonical);
    else this.replace(container, def, canonical);

    if (def.mutability === 'immutable' && before !== undefined && !isDeepStrictEqual(before, container[def.name])) {
      throw mutability(`Attribute '${target.label}' is immutable and already has a value`);
    }
    const values = container[def.name];
    if (def.maxValues !== undefined && Array.isArray(values) && values.length > def.maxValues) {
      throw tooManyValues(def, target.label, values.length);
    }
    if (!target.extension) this.touched.add(def.name);
  }

  private add(container: Record<string, unknown>, def: AttributeDefinition, value: unknown): void {
    const existing = container[def.name];
    if (def.multiValued) {
      const elements = Array.isArray(existing) ? existing : [];
      // Hashed, not pairwise: the cost of an add is linear in the values it names plus the values already there.
      const seen = new Set(elements.map(valueKey));
      const added = (value as unknown[]).filter((v) => {
        const key = valueKey(v);
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
      if (elements.length + added.length > 0) container[def.name] = [...elements, ...added];
      demoteOtherPrimaries(container[def.name], added);
    } else if (def.type === 'complex' && isPlainObject(existing) && !pointsElsewhere(existing, value)) {
      Object.assign(existing, value);
    } else {
      container[def.name] = value;
    }
  }

  private replace(container: Record<string, unknown>, def: AttributeDefinition, value: unknown): void {
    const existing = container[def.name];
    // RFC 7644 section 3.5.2.3: sub-attributes not given in a complex replace are left unchanged.
    const merges = !def.multiValued && def.type === 'complex' && isPlainObject(existing);
    if (def.multiValued && Array.isArray(value) && value.length === 0) {
      delete container[def.name];
    } else if (merges && !pointsElsewhere(existing, value)) {
      Object.assign(existing, value);
    } else {
      container[def.name] = value;
    }
  }

  /**
   * A filtered replace (or add: Entra sends `Add emails[type eq "work"].value` for a new email) sets the
   * sub-attribute of, or replaces, every matching element. When nothing matches, the element the filter describes is
   * added, as Entra expects (RFC 7644 section 3.5.2.3 treats a missing target as an add; scim-patch's
   * treatMissingAsAdd).
   */
  private replaceFiltered(container: Record<string, unknown>, target: Target, value: unknown): void {
    const { def, sub } = target;
    const elements = Array.isArray(container[def.name]) ? (container[def.name] as unknown[]) : [];
    const matching = this.matching(target, elements);
    const written: unknown[] = [];
    if (matching.length === 0) {
      const described = elementFromFilter(target.filter!);
      const element = described && canonicalValue({ ...def, multiValued: false }, described, target.label);
      if (!isPlainObject(element)) {
        throw noTarget(`No value of '${target.label}' matches the filter, and the filter does not describe a new one`);
      }
      const created = sub ? { ...element, [sub.name]: value } : { ...element, ...(value as object) };
      written.push(created);
      container[def.name] = [...elements, created];
    } else {
      container[def.name] = elements.map((element) => {
        if (!matching.includes(element)) return element;
        const updated = sub ? { ...(element as object), [sub.name]: value } : value;
        written.push(updated);
        return updated;
      });
    }
    demoteOtherPrimaries(container[def.name], written);
  }

  private remove(container: Record<string, unknown>, target: Target, value: unknown): void {
    const { def, sub } = target;
    const existing = container[def.name];
    if (existing === undefined) return;
    if (!def.multiValued) {
      if (target.filter && this.matching(target, [existing]).length === 0) return;
      if (sub && isPlainObject(existing)) delete existing[sub.name];
      if (!sub || (isPlainObject(existing) && Object.keys(existing).length === 0)) delete container[def.name];
      return;
    }
    const elements = Array.isArray(existing) ? existing : [];
    let selected: unknown[];
    if (target.filter) selected = this.matching(target, elements);
    else if (Array.isArray(value)) selected = elements.filter((e) => value.some((v) => sameElement(def, e, v)));
    else selected = elements;
    const kept = elements.flatMap((element) => {
      if (!selected.includes(element)) return [element];
      if (!sub || !isPlainObject(element)) return [];
      const { [sub.name]: _removed, ...rest } = element;
      return Object.keys(rest).length > 0 ? [rest] : [];
    });
    if (kept.length > 0) container[def.name] = kept;
    else delete container[def.name];
  }

  /** Elements of `target`'s attribute that its value filter selects, compared with the registry's case rules. */
  private matching(target: Target, elements: unknown[]): unknown[] {
    const path: AttributePath = target.extension
      ? { schema: target.extension, attribute: target.def.name }
      : { attribute: target.def.name };
    const filter: Filter = { op: 'valuePath', path, filter: target.filter! };
    return elements.filter((element) => {
      const value = target.def.multiValued ? [element] : element;
      const document = target.extension
        ? { [target.extension]: { [target.def.name]: value } }
        : { [target.def.name]: value };
      return matchesFilter(filter, document, this.type);
    });
  }

  private applyToMembers(op: PatchOp, target: Target, value: unknown): void {
    if (target.sub) throw invalidPath('Members can only be added, replaced or removed as a whole');
    if (target.filter) {
      if (op !== 'remove') throw invalidPath('A filtered members path is only supported in remove');
      const ids = memberIds(target.filter);
      if (!ids) throw invalidFilter('Members can only be selected with value eq "<id>", optionally joined by or');
      this.members.remove(ids);
    } else if (op === 'remove' && (value === undefined || value === null)) {
      this.members.removeAll();
    } else if (op === 'remove') {
      this.members.remove(membersOf(value).map((m) => m.value));
    } else {
      const members = membersOf(canonicalValue(target.def, value, 'members') ?? []);
      if (op === 'add') this.members.add(members);
      else this.members.replace(members);
    }
  }

  private container(extension: string | undefined): Record<string, unknown> {
    return extension === undefined ? this.document : objectAt(this.document, extension);
  }
}

/**
 * Accumulates member operations into one `MemberChange`. Because the store removes before it adds, an id removed
 * after being added leaves `add`, and a full replacement is "remove all, then add".
 */
class MemberChanges {
  private removed: Set<string> | 'all' | undefined;
  private readonly added = new Map<string, StoredMember>();

  add(members: StoredMember[]): void {
    for (const member of members) if (!this.added.has(member.value)) this.added.set(member.value, member);
  }

  remove(ids: string[]): void {
    for (const id of ids) {
      this.added.delete(id);
      if (this.removed === 'all') continue;
      this.removed ??= new Set();
      this.removed.add(id);
    }
  }

  removeAll(): void {
    this.added.clear();
    this.removed = 'all';
  }

  replace(members: StoredMember[]): void {
    this.removeAll();
    this.add(members);
  }

  result(): MemberChange | 'unchanged' {
    const removed = this.removed === 'all' ? 'all' : [...(this.removed ?? [])];
    if (removed !== 'all' && removed.length === 0 && this.added.size === 0) return 'unchanged';
    const change: MemberChange = {};
    if (removed === 'all' || removed.length > 0) change.remove = removed;
    if (this.added.size > 0) change.add = [...this.added.values()];
    return change;
  }
}

function membersOf(value: unknown): StoredMember[] {
  if (!Array.isArray(value)) throw invalidValue("Attribute 'members' must be an array");
  return toMembers(value, 'members');
}

/** A key equal for two canonical values exactly when they are deep-equal (object keys in any order). */
function valueKey(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(valueKey).join(',')}]`;
  if (!isPlainObject(value)) return String(JSON.stringify(value));
  const keys = Object.keys(value).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${valueKey(value[key])}`).join(',')}}`;
}

/** The ids a members filter selects, when it is `value eq "<id>"` or such terms joined by `or`. */
function memberIds(filter: Filter): string[] | undefined {
  if (filter.op === 'or') {
    const left = memberIds(filter.left);
    const right = memberIds(filter.right);
    return left && right ? [...left, ...right] : undefined;
  }
  const isValueEq =
    filter.op === 'eq' &&
    filter.path.schema === undefined &&
    filter.path.subAttribute === undefined &&
    sameName(filter.path.attribute, 'value');
  if (!isValueEq || filter.value === null) return undefined;
  return [String(filter.value)];
}

/** The element a filter such as `type eq "work" and primary eq true` describes; undefined for other filters. */
function elementFromFilter(filter: Filter): Record<string, unknown> | undefined {
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
function sameElement(def: AttributeDefinition, element: unknown, given: unknown): boolean {
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
function pointsElsewhere(existing: Record<string, unknown>, value: unknown): boolean {
  return isPlainObject(value) && value.value !== undefined && existing.value !== value.value;
}

/** RFC 7643 section 2.4: a value newly written as primary takes the flag from every other value. */
function demoteOtherPrimaries(elements: unknown, written: unknown[]): void {
  if (!Array.isArray(elements) || !written.some((w) => isPlainObject(w) && w.primary === true)) return;
  for (const element of elements) {
    if (isPlainObject(element) && element.primary === true && !written.includes(element)) element.primary = false;
  }
}
