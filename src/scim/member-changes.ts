/** Group member operations of one PATCH, gathered into the one `MemberChange` the store applies atomically. */

import { sameName } from './attribute-path.ts';
import { invalidFilter, invalidPath, invalidValue } from './errors.ts';
import type { Filter } from './filter.ts';
import { canonicalValue, toMembers } from './normalise-value.ts';
import type { PatchOp } from './patch-operation.ts';
import type { PatchTarget } from './patch-path.ts';
import type { MemberChange, StoredMember } from './store.ts';

/**
 * Accumulates member operations into one `MemberChange`. Because the store removes before it adds, an id removed
 * after being added leaves `add`, and a full replacement is "remove all, then add".
 */
export class MemberChanges {
  private removed: Set<string> | 'all' | undefined;
  private readonly added = new Map<string, StoredMember>();

  /** Applies one operation on `members` (or `members[value eq "id"]`, in remove only). */
  apply(op: PatchOp, target: PatchTarget, value: unknown): void {
    if (target.sub) throw invalidPath('Members can only be added, replaced or removed as a whole');
    const filter = target.path.valueFilter;
    if (filter) {
      if (op !== 'remove') throw invalidPath('A filtered members path is only supported in remove');
      const ids = memberIds(filter);
      if (!ids) throw invalidFilter('Members can only be selected with value eq "<id>", optionally joined by or');
      this.remove(ids);
    } else if (op === 'remove' && (value === undefined || value === null)) {
      this.removeAll();
    } else if (op === 'remove') {
      this.remove(membersOf(value).map((m) => m.value));
    } else {
      const members = membersOf(canonicalValue(target.def, value, 'members') ?? []);
      if (op === 'add') this.add(members);
      else this.replace(members);
    }
  }

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

/** A members value as stored members; `invalidValue` when it is not an array. */
function membersOf(value: unknown): StoredMember[] {
  if (!Array.isArray(value)) throw invalidValue("Attribute 'members' must be an array");
  return toMembers(value, 'members');
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
