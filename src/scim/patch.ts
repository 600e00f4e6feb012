/**
 * The PATCH engine (RFC 7644 section 3.5.2): applies normalised operations to a canonical resource document in
 * memory, all or nothing. Group members are not part of the document: groups can have 100,000 members, so member
 * operations become a `MemberChange` for the store and never need the current member list.
 */

import { isDeepStrictEqual } from 'node:util';
import type { AttributePath } from './attribute-path.ts';
import { formatAttributePath } from './attribute-path.ts';
import { invalidFilter, invalidPath, invalidValue, mutability, noTarget } from './errors.ts';
import type { Filter } from './filter.ts';
import { matchesFilter } from './filter-evaluator.ts';
import { isPlainObject, objectAt } from './json-values.ts';
import { MemberChanges } from './member-changes.ts';
import { assertMultiValuedRules, canonicalValue, tooManyValues } from './normalise-value.ts';
import type { PatchOp, PatchOperation } from './patch-operation.ts';
import { assertWritable, type PatchPath, type PatchTarget, resolvePatchTarget, targetLabel } from './patch-path.ts';
import { demoteOtherPrimaries, elementFromFilter, pointsElsewhere, sameElement, valueKey } from './patch-values.ts';
import { coreSchema, extensionSchemas, isMember } from './schema-lookup.ts';
import type { AttributeDefinition, ResourceTypeName } from './schemas.ts';
import type { MemberChange } from './store.ts';

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
      this.applyTo(op, this.resolve(path, formatAttributePath(path.attribute)), value);
      return;
    }
    if (op === 'remove') throw noTarget('remove requires a path');
    if (!isPlainObject(value)) throw invalidValue(`An ${op} without a path needs an object value`);
    for (const [key, entry] of Object.entries(value)) {
      const extension = extensionSchemas(this.type).find((s) => s.id === key);
      if (!extension) {
        this.applyTo(op, this.resolve({ attribute: { attribute: key } }, key), entry);
        continue;
      }
      if (!isPlainObject(entry)) throw invalidValue(`Attribute '${key}' must be an object`);
      for (const [name, subEntry] of Object.entries(entry)) {
        this.applyTo(op, this.resolve({ attribute: { schema: key, attribute: name } }, `${key}:${name}`), subEntry);
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

  /** The target of `path`, refused where the engine cannot apply it (checks beyond `resolvePatchTarget`'s). */
  private resolve(path: PatchPath, shown: string): PatchTarget {
    const target = resolvePatchTarget(this.type, path, shown);
    const { def, sub } = target;
    if (path.valueFilter && def.type !== 'complex') {
      throw invalidFilter(`A value filter needs a complex attribute; '${def.name}' is a ${def.type}`);
    }
    if (sub && def.multiValued && !path.valueFilter && !isMember(def)) {
      throw invalidPath(
        `'${def.name}' is multi-valued: select elements with a filter, as in ${def.name}[type eq "work"]`,
      );
    }
    return target;
  }

  private applyTo(op: PatchOp, target: PatchTarget, value: unknown): void {
    const { def, sub } = target;
    const filter = target.path.valueFilter;
    assertWritable(target);
    if (this.type === 'Group' && isMember(def)) {
      this.members.apply(op, target, value);
      return;
    }
    if (filter && !def.multiValued && op !== 'remove') {
      throw invalidFilter(`'${def.name}' is single-valued: a value filter can only select it for removal`);
    }
    const container = this.container(target.extension);
    const before = def.mutability === 'immutable' ? structuredClone(container[def.name]) : undefined;
    let canonical: unknown;
    if (op !== 'remove') {
      const shape = filter && !sub ? { ...def, multiValued: false } : (sub ?? def);
      canonical = canonicalValue(shape, value, targetLabel(target));
    }
    // A value that canonicalises to nothing (null, "") clears the target, as the normaliser's removals do.
    if (op === 'remove' || canonical === undefined) this.remove(container, target, value);
    else if (filter) this.replaceFiltered(container, target, filter, canonical);
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
  private replaceFiltered(
    container: Record<string, unknown>,
    target: PatchTarget,
    filter: Filter,
    value: unknown,
  ): void {
    const { def, sub } = target;
    const elements = Array.isArray(container[def.name]) ? (container[def.name] as unknown[]) : [];
    const matching = this.matching(target, filter, elements);
    const written: unknown[] = [];
    if (matching.length === 0) {
      const described = elementFromFilter(filter);
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

  private remove(container: Record<string, unknown>, target: PatchTarget, value: unknown): void {
    const { def, sub } = target;
    const filter = target.path.valueFilter;
    const existing = container[def.name];
    if (existing === undefined) return;
    if (!def.multiValued) {
      if (filter && this.matching(target, filter, [existing]).length === 0) return;
      if (sub && isPlainObject(existing)) delete existing[sub.name];
      if (!sub || (isPlainObject(existing) && Object.keys(existing).length === 0)) delete container[def.name];
      return;
    }
    const elements = Array.isArray(existing) ? existing : [];
    let selected: unknown[];
    if (filter) selected = this.matching(target, filter, elements);
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
  private matching(target: PatchTarget, valueFilter: Filter, elements: unknown[]): unknown[] {
    const path: AttributePath = target.extension
      ? { schema: target.extension, attribute: target.def.name }
      : { attribute: target.def.name };
    const filter: Filter = { op: 'valuePath', path, filter: valueFilter };
    return elements.filter((element) => {
      const value = target.def.multiValued ? [element] : element;
      const document = target.extension
        ? { [target.extension]: { [target.def.name]: value } }
        : { [target.def.name]: value };
      return matchesFilter(filter, document, this.type);
    });
  }

  private container(extension: string | undefined): Record<string, unknown> {
    return extension === undefined ? this.document : objectAt(this.document, extension);
  }
}
