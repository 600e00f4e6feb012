/**
 * How a Group filter that names `members` can be answered without reading every group's member list. A group can
 * have 100,000 members, and `members pr` over 1,000 groups would otherwise read them all.
 *
 * When every test on `members` is an equality on a member id (`members eq "u"`, `members.value eq "u"`,
 * `members[value eq "u"]`), the filter only needs to know, for each id it names, which groups have that member: the
 * store's membership index (`ScimStore.groupsOf`) answers that. A document whose `members` lists just the named ids a
 * group has then evaluates every such filter exactly as the full member list would, whatever `and`, `or` and `not`
 * join the tests. Any other test on `members` (`pr`, `ne`, `co`, a `type` filter) needs the real list.
 */

import type { Filter } from './filter.ts';

/** `none`: the filter does not name members; `ids`: only id equalities, naming these ids; `other`: anything else. */
export type MemberTests = { kind: 'none' } | { kind: 'ids'; ids: string[] } | { kind: 'other' };

export function memberTests(filter: Filter): MemberTests {
  const ids: string[] = [];
  let other = false;
  const visit = (node: Filter): void => {
    switch (node.op) {
      case 'and':
      case 'or':
        visit(node.left);
        visit(node.right);
        return;
      case 'not':
        visit(node.filter);
        return;
      case 'valuePath':
        if (!isMembers(node.path)) return;
        if (!collectValueEqualities(node.filter, ids)) other = true;
        return;
      default: {
        if (!isMembers(node.path)) return;
        const onValue = node.path.subAttribute === undefined || node.path.subAttribute.toLowerCase() === 'value';
        if (node.op === 'eq' && onValue && typeof node.value === 'string') ids.push(node.value);
        else other = true;
      }
    }
  };
  visit(filter);
  if (other) return { kind: 'other' };
  return ids.length === 0 ? { kind: 'none' } : { kind: 'ids', ids };
}

function isMembers(path: { schema?: string; attribute: string }): boolean {
  return path.attribute.toLowerCase() === 'members';
}

/**
 * Inside `members[...]`: true when every test is `value eq "<string>"`, joined by `and` or `or`. Not `not`: it asks
 * for some other member, which only the full list knows.
 */
function collectValueEqualities(filter: Filter, ids: string[]): boolean {
  switch (filter.op) {
    case 'and':
    case 'or':
      return collectValueEqualities(filter.left, ids) && collectValueEqualities(filter.right, ids);
    case 'eq': {
      const { schema, attribute, subAttribute } = filter.path;
      const onValue = schema === undefined && subAttribute === undefined && attribute.toLowerCase() === 'value';
      if (!onValue || typeof filter.value !== 'string') return false;
      ids.push(filter.value);
      return true;
    }
    default:
      return false;
  }
}
