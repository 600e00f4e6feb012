import type { V1RoleBinding } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { bindingWrites, earlyRevocations, losesSubjects, sameBinding } from './binding-diff.ts';

const RBAC = 'rbac.authorization.k8s.io';

function binding(name: string, users: string[]): V1RoleBinding {
  return {
    apiVersion: `${RBAC}/v1`,
    kind: 'RoleBinding',
    metadata: { name, namespace: 'team', labels: { 'scim-operator.dev/access-mapping': 'm' } },
    roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'edit' },
    subjects: users.map((name) => ({ apiGroup: RBAC, kind: 'User', name })),
  };
}

describe('sameBinding', () => {
  it('sees a binding with the same subjects in the same order as unchanged', () => {
    expect(sameBinding(binding('b', ['ada', 'bob']), binding('b', ['ada', 'bob']))).toBe(true);
  });

  it('sees a missing, an extra or a reordered subject as a change', () => {
    const current = binding('b', ['ada', 'bob']);
    expect(sameBinding(current, binding('b', ['ada']))).toBe(false);
    expect(sameBinding(current, binding('b', ['ada', 'bob', 'eve']))).toBe(false);
    expect(sameBinding(current, binding('b', ['bob', 'ada']))).toBe(false);
  });

  it('sees a subject of another kind under the same name as a change', () => {
    const group = binding('b', ['ada']);
    group.subjects![0]!.kind = 'Group';
    expect(sameBinding(binding('b', ['ada']), group)).toBe(false);
  });
});

describe('losesSubjects', () => {
  it('is true when the desired binding drops a subject the current one holds', () => {
    expect(losesSubjects(binding('b', ['ada', 'bob']), binding('b', ['bob']))).toBe(true);
  });

  it('is false when the desired binding only adds subjects', () => {
    expect(losesSubjects(binding('b', ['ada']), binding('b', ['ada', 'bob']))).toBe(false);
  });

  it('is true when a subject is swapped for another (one leaves while one joins)', () => {
    expect(losesSubjects(binding('b', ['ada']), binding('b', ['bob']))).toBe(true);
  });
});

describe('bindingWrites', () => {
  const existing = new Map([
    ['grow', binding('grow', ['ada'])],
    ['same', binding('same', ['bob'])],
    ['shrink', binding('shrink', ['carl', 'dora'])],
  ]);
  const lookup = (b: V1RoleBinding) => existing.get(b.metadata!.name!);

  it('writes the bindings that take a subject away before those that only grant, and skips unchanged ones', () => {
    const writes = bindingWrites(
      [binding('grow', ['ada', 'eve']), binding('new', ['fay']), binding('same', ['bob']), binding('shrink', ['dora'])],
      lookup,
    );
    expect(writes.map((w) => [w.binding.metadata?.name, w.revokes])).toEqual([
      ['shrink', true],
      ['grow', false],
      ['new', false],
    ]);
    expect(writes[0]!.current).toBe(existing.get('shrink'));
    expect(writes[2]!.current).toBeUndefined();
  });

  it('keeps the given order within each group', () => {
    const writes = bindingWrites(
      [binding('new-1', ['x']), binding('shrink', []), binding('new-2', ['y']), binding('grow', [])],
      lookup,
    );
    expect(writes.map((w) => w.binding.metadata?.name)).toEqual(['shrink', 'grow', 'new-1', 'new-2']);
  });
});

describe('earlyRevocations', () => {
  it('takes a subject granted by no wanted binding out of a shard that a reshard replaces, keeping the others', () => {
    const old = binding('m:2-0', ['ada', 'bob', 'eve']);
    old.metadata!.resourceVersion = '42';
    old.metadata!.managedFields = [{ manager: 'scim-operator' }];
    const wanted = [binding('m:4-0', ['ada']), binding('m:4-1', ['bob'])];
    const [early, ...rest] = earlyRevocations([old], wanted);
    expect(rest).toEqual([]);
    expect(early!.current).toBe(old);
    expect(early!.trimmed?.subjects?.map((s) => s.name)).toEqual(['ada', 'bob']);
    expect(early!.trimmed).toMatchObject({ kind: 'RoleBinding', metadata: { name: 'm:2-0', namespace: 'team' } });
    expect(early!.trimmed!.metadata).not.toHaveProperty('resourceVersion');
    expect(early!.trimmed!.metadata).not.toHaveProperty('managedFields');
  });

  it('deletes at once a binding none of whose subjects stays, and leaves alone one whose subjects all stay', () => {
    const gone = binding('m:2-0', ['eve']);
    const moved = binding('m:2-1', ['ada']);
    const early = earlyRevocations([gone, moved], [binding('m:4-0', ['ada'])]);
    expect(early).toEqual([{ current: gone, trimmed: undefined }]);
  });

  it('does not count a subject as granted by a binding of another role or namespace', () => {
    const old = binding('m:edit', ['ada']);
    const view = binding('m:view', ['ada']);
    view.roleRef = { ...view.roleRef, name: 'view' };
    expect(earlyRevocations([old], [view])).toEqual([{ current: old, trimmed: undefined }]);
  });
});
