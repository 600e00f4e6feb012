import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { ScimGroup } from '../../api/scim-group.ts';
import type { ScimUser } from '../../api/scim-user.ts';
import type { CachedInformer } from '../../runtime/informer.ts';
import { parseSettings } from '../../settings.ts';
import { MembershipIndex } from '../../store/membership-index.ts';
import type { StoreCache } from '../../store/store-cache.ts';
import { IdentityCache } from './identity-cache.ts';

type Event = 'add' | 'update' | 'delete';

/** An informer cache driven by hand: `apply` stores the object, then calls the handlers, as ListWatch does. */
function handInformer(name: string) {
  const objects = new Map<string, KubernetesObject>();
  const handlers: Record<Event, Array<(o: KubernetesObject) => void>> = { add: [], update: [], delete: [] };
  const informer = {
    name,
    get: (key: string) => objects.get(key),
    list: () => [...objects.values()],
    on: (event: Event, handler: (o: KubernetesObject) => void) => void handlers[event].push(handler),
  } as unknown as CachedInformer<KubernetesObject>;
  const apply = (event: Event, item: ScimUser | ScimGroup) => {
    const obj = item as unknown as KubernetesObject;
    if (event === 'delete') objects.delete(obj.metadata?.name ?? '');
    else objects.set(obj.metadata?.name ?? '', obj);
    for (const h of handlers[event]) h(obj);
  };
  return { informer, apply };
}

const user = (id: string, userName: string, generation: number, status?: object): ScimUser =>
  ({
    apiVersion: 'scim-operator.dev/v1alpha1',
    kind: 'ScimUser',
    metadata: { name: id, generation, labels: { 'scim-operator.dev/connection': 'entra' } },
    spec: { userName, active: true, roles: [{ value: 'admin' }] },
    ...(status ? { status } : {}),
  }) as ScimUser;

const group = (id: string, displayName: string, generation: number): ScimGroup =>
  ({
    apiVersion: 'scim-operator.dev/v1alpha1',
    kind: 'ScimGroup',
    metadata: { name: id, generation, labels: { 'scim-operator.dev/connection': 'entra' } },
    spec: { displayName, externalId: `ext-${id}` },
  }) as ScimGroup;

function identities() {
  const users = handInformer('scimusers');
  const groups = handInformer('scimgroups');
  const cache = { users: users.informer, groups: groups.informer, memberships: new MembershipIndex() };
  const view = new IdentityCache(cache as unknown as StoreCache, parseSettings('').subjects);
  return { users, groups, view };
}

describe('IdentityCache', () => {
  it('answers lookups with the object the informer holds now, not the one indexed before a status write', () => {
    const { users, groups, view } = identities();
    users.apply('add', user('u1', 'Ada@example.com', 1));
    groups.apply('add', group('g1', 'Admins', 1));
    expect(view.usersByUserName('ada@example.com', 'entra').map((u) => u.status)).toEqual([undefined]);

    // A status write: same generation and labels, so the indexes are not rebuilt; the lookup must still not hand
    // back (and the index must not keep alive) the version it was built from.
    const written = user('u1', 'Ada@example.com', 1, { bindings: 1 });
    users.apply('update', written);
    const renamed = { ...group('g1', 'Admins', 1), status: { members: 2 } } as ScimGroup;
    groups.apply('update', renamed);

    expect(view.usersByUserName('ADA@example.com', 'entra')[0]).toBe(written);
    expect(view.usersByRole('admin', 'entra')[0]).toBe(written);
    expect(view.groupsByDisplayName('admins', 'entra')[0]).toBe(renamed);
    expect(view.groupsByExternalId('ext-g1', undefined)[0]).toBe(renamed);
  });

  it('lists every holder of a shared key and drops deleted objects', () => {
    const { users, view } = identities();
    users.apply('add', user('u1', 'twin@example.com', 1));
    users.apply('add', user('u2', 'twin@example.com', 1));
    expect(view.usersByUserName('TWIN@example.com', undefined).map((u) => u.metadata.name)).toEqual(['u1', 'u2']);
    expect(view.usersByUserName('twin@example.com', 'okta')).toEqual([]);
    expect(view.subjectOf('u1')).toMatchObject({ ok: false, reason: 'DuplicateSubject' });

    users.apply('delete', user('u2', 'twin@example.com', 1));
    expect(view.usersByUserName('twin@example.com', undefined).map((u) => u.metadata.name)).toEqual(['u1']);
    expect(view.subjectOf('u1')).toMatchObject({ ok: true });
    expect(view.usersByUserName('nobody@example.com', undefined)).toEqual([]);
  });

  it('moves a renamed user and a renamed group to their new keys, from the update alone', () => {
    const { users, groups, view } = identities();
    users.apply('add', user('u1', 'old@example.com', 1));
    groups.apply('add', group('g1', 'Old Name', 1));
    expect(view.usersWithSubject('old@example.com')).toEqual(['u1']);

    users.apply('update', user('u1', 'new@example.com', 2));
    groups.apply('update', group('g1', 'New Name', 2));
    expect(view.usersByUserName('old@example.com', undefined)).toEqual([]);
    expect(view.usersByUserName('new@example.com', 'entra').map((u) => u.metadata.name)).toEqual(['u1']);
    expect(view.usersWithSubject('old@example.com')).toEqual([]);
    expect(view.usersWithSubject('new@example.com')).toEqual(['u1']);
    expect(view.groupsByDisplayName('old name', undefined)).toEqual([]);
    expect(view.groupsByDisplayName('NEW NAME', undefined).map((g) => g.metadata.name)).toEqual(['g1']);
  });

  it('indexes objects the informer held before the first lookup, and forgets a connection with its last object', () => {
    const { users, groups, view } = identities();
    users.apply('add', user('u1', 'early@example.com', 1));
    groups.apply('add', group('g1', 'Early', 1));
    expect(view.usersByUserName('early@example.com', undefined)).toHaveLength(1);
    expect([...view.connections()]).toEqual(['entra']);

    users.apply('delete', user('u1', 'early@example.com', 1));
    expect([...view.connections()]).toEqual(['entra']);
    groups.apply('delete', group('g1', 'Early', 1));
    expect([...view.connections()]).toEqual([]);
  });

  it('tells every controller of a spec change, a label change and a deletion, and none of them of a status write', () => {
    const { users, groups, view } = identities();
    const seen: string[] = [];
    view.onUserChange((u, event) => seen.push(`first ${event} ${u.metadata.name}`));
    view.onUserChange((u, event) => seen.push(`second ${event} ${u.metadata.name}`));
    view.onGroupChange((g, event) => seen.push(`group ${event} ${g.metadata.name}`));
    users.apply('add', user('u1', 'ada@example.com', 1));
    users.apply('update', user('u1', 'ada@example.com', 1, { grantCount: 3 }));
    users.apply('update', user('u1', 'ada.l@example.com', 2));
    const suspended = user('u1', 'ada.l@example.com', 2);
    suspended.metadata.labels = { ...suspended.metadata.labels, 'scim-operator.dev/suspended': 'true' };
    users.apply('update', suspended);
    groups.apply('add', group('g1', 'Admins', 1));
    groups.apply('update', group('g1', 'Admins', 1));
    users.apply('delete', suspended);
    expect(seen).toEqual([
      'first add u1',
      'second add u1',
      'first update u1',
      'second update u1',
      'first update u1',
      'second update u1',
      'group add g1',
      'first delete u1',
      'second delete u1',
    ]);
  });
});
