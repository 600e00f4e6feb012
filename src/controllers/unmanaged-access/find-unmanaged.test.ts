import { describe, expect, it } from 'vitest';
import { user } from '../role-bindings/identity-fixtures.test-support.ts';
import { findUnmanaged, MAX_NAMED_BINDINGS, type UnmanagedBinding, unmanagedCondition } from './find-unmanaged.ts';

const rb = (namespace: string, name: string): UnmanagedBinding => ({ kind: 'RoleBinding', namespace, name });
const crb = (name: string): UnmanagedBinding => ({ kind: 'ClusterRoleBinding', name });
const active = user('u-ada', 'ada@example.com');
const inactive = user('u-ina', 'ina@example.com', { active: false });
const suspended = user('u-sus', 'sus@example.com', {}, { labels: { 'scim-operator.dev/suspended': 'true' } });
const deleting = user('u-del', 'del@example.com', { active: false }, { deletionTimestamp: new Date() });

describe('findUnmanaged', () => {
  it('reports nothing for a user who may hold access, whatever names it', () => {
    expect(findUnmanaged(active, [rb('a', 'by-hand')])).toBeUndefined();
  });

  it('reports nothing for an inactive user no unmanaged binding names', () => {
    expect(findUnmanaged(inactive, [])).toBeUndefined();
  });

  it.each([
    ['an inactive user', inactive, 'Inactive'],
    ['a suspended user', suspended, 'Suspended'],
    ['a user being deleted, even if also inactive', deleting, 'Deleted'],
  ])('reports %s named by a hand-made binding, cluster-wide bindings first', (_, u, reason) => {
    expect(findUnmanaged(u, [rb('b', 'x'), crb('admin-by-hand'), rb('a', 'y')])).toEqual({
      reason,
      bindings: [crb('admin-by-hand'), rb('a', 'y'), rb('b', 'x')],
    });
  });
});

describe('unmanagedCondition', () => {
  it('names the bindings in a True condition', () => {
    const finding = findUnmanaged(inactive, [rb('team-a', 'by-hand')]);
    expect(unmanagedCondition(finding, false)).toEqual({
      status: 'True',
      reason: 'Inactive',
      message:
        'User is inactive but 1 binding(s) not managed by the operator still name its subject: RoleBinding team-a/by-hand',
    });
  });

  it(`names the first ${MAX_NAMED_BINDINGS} bindings and counts the rest`, () => {
    const many = Array.from({ length: MAX_NAMED_BINDINGS + 5 }, (_, i) => rb('a', `b${String(i).padStart(2, '0')}`));
    expect(unmanagedCondition(findUnmanaged(inactive, many), false)?.message).toMatch(/a\/b19 and 5 more$/);
  });

  it('adds no condition to a user that never had a finding, and resolves one that had', () => {
    expect(unmanagedCondition(undefined, false)).toBeUndefined();
    expect(unmanagedCondition(undefined, true)).toMatchObject({ status: 'False', reason: 'Resolved' });
  });
});
