import type { V1ClusterRoleBinding, V1RoleBinding } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { CachedInformer } from '../../runtime/informer.ts';
import { UnmanagedIndex } from './unmanaged-index.ts';

type Binding = V1RoleBinding | V1ClusterRoleBinding;
type Event = 'add' | 'update' | 'delete';

/** Only what the index uses of an informer: its event handlers, fired by hand. */
function handlers() {
  const on = new Map<Event, ((o: Binding) => void)[]>();
  const informer = {
    on: (event: Event, handler: (o: Binding) => void) => on.set(event, [...(on.get(event) ?? []), handler]),
  } as unknown as CachedInformer<Binding>;
  const fire = (event: Event, o: Binding) => {
    for (const h of on.get(event) ?? []) h(o);
  };
  return { informer, fire };
}

const users = (...names: string[]) =>
  names.map((name) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name }));
const rb = (namespace: string, name: string, subjects: Binding['subjects']): V1RoleBinding => ({
  metadata: { name, namespace },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
  subjects,
});
const crb = (name: string, subjects: Binding['subjects']): V1ClusterRoleBinding => ({
  metadata: { name },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' },
  subjects,
});

describe('UnmanagedIndex', () => {
  it('finds the bindings naming a User subject, and tells which subjects changed', () => {
    const { informer, fire } = handlers();
    const index = new UnmanagedIndex([informer]);
    const changes: string[][] = [];
    index.onChange((subjects) => changes.push([...subjects].sort()));

    fire('add', rb('a', 'by-hand', users('ada', 'bob')));
    fire(
      'add',
      crb('admins', [...users('ada'), { kind: 'Group', name: 'ada', apiGroup: 'rbac.authorization.k8s.io' }]),
    );
    expect(index.bindingsOf('ada')).toEqual([
      { kind: 'RoleBinding', namespace: 'a', name: 'by-hand' },
      { kind: 'ClusterRoleBinding', name: 'admins' },
    ]);

    fire('update', rb('a', 'by-hand', users('bob')));
    expect(index.bindingsOf('ada')).toEqual([{ kind: 'ClusterRoleBinding', name: 'admins' }]);
    fire('delete', crb('admins', users('ada')));
    expect(index.bindingsOf('ada')).toEqual([]);
    expect(index.subjects()).toEqual(['bob']);
    expect(changes).toEqual([['ada', 'bob'], ['ada'], ['ada'], ['ada']]);
  });

  it('tells nobody when an update leaves the subjects as they were (a label or annotation edit)', () => {
    const { informer, fire } = handlers();
    const index = new UnmanagedIndex([informer]);
    const changes: string[][] = [];
    fire('add', rb('a', 'x', users('ada')));
    index.onChange((subjects) => changes.push(subjects));
    fire('update', rb('a', 'x', users('ada')));
    expect(changes).toEqual([]);
  });
});
