import { describe, expect, it } from 'vitest';
import type { ScimGroup } from '../api/scim-group.ts';
import type { ScimUser } from '../api/scim-user.ts';
import { LookupIndex, lookupKey } from './lookup-index.ts';
import type { ScimObject } from './resource-mapping.ts';

function user(id: string, spec: Partial<ScimUser['spec']>): ScimUser {
  return {
    apiVersion: 'scim-operator.dev/v1alpha1',
    kind: 'ScimUser',
    metadata: { name: id },
    spec: { userName: `${id}@example.com`, ...spec },
  } as ScimUser;
}

/** An index over a map standing in for the informer's cache, fed as the informer would feed it. */
function indexed(type: 'User' | 'Group' = 'User') {
  const cache = new Map<string, ScimObject>();
  const index = new LookupIndex(type, (id) => cache.get(id));
  return {
    index,
    put(obj: ScimObject) {
      cache.set(obj.metadata.name, obj);
      index.upsert(obj);
    },
    drop(obj: ScimObject) {
      cache.delete(obj.metadata.name);
      index.remove(obj);
    },
  };
}

describe('LookupIndex', () => {
  it('finds users by userName and email case-insensitively and by externalId exactly', () => {
    const { index, put } = indexed();
    put(user('a', { userName: 'Ann@Example.com', externalId: 'Ext-1', emails: [{ value: 'ANN@work.example' }] }));
    expect(index.candidates('userName', 'ann@example.COM')).toEqual(['a']);
    expect(index.candidates('emails.value', 'ann@WORK.example')).toEqual(['a']);
    expect(index.candidates('externalId', 'Ext-1')).toEqual(['a']);
    expect(index.candidates('externalId', 'ext-1')).toEqual([]);
  });

  it('finds groups by displayName and externalId', () => {
    const { index, put } = indexed('Group');
    const group = { metadata: { name: 'g' }, spec: { displayName: 'Admins', externalId: 'x' } } as ScimGroup;
    put(group);
    expect(index.candidates('displayName', 'admins')).toEqual(['g']);
    expect(index.candidates('externalId', 'x')).toEqual(['g']);
  });

  it('proposes every object holding a shared value', () => {
    const { index, put } = indexed();
    put(user('a', { externalId: 'shared' }));
    put(user('b', { externalId: 'shared' }));
    expect(index.candidates('externalId', 'shared').sort()).toEqual(['a', 'b']);
  });

  it('drops a value an update replaced, once the cached object no longer holds it', () => {
    const { index, put } = indexed();
    put(user('a', { userName: 'old@example.com' }));
    put(user('a', { userName: 'new@example.com' }));
    expect(index.candidates('userName', 'old@example.com')).toEqual([]);
    expect(index.candidates('userName', 'new@example.com')).toEqual(['a']);
  });

  it('forgets a deleted object', () => {
    const { index, put, drop } = indexed();
    const a = user('a', { externalId: 'e' });
    put(a);
    drop(a);
    expect(index.candidates('externalId', 'e')).toEqual([]);
    expect(index.candidates('userName', 'a@example.com')).toEqual([]);
  });

  it('keys an already lowercase value by the very string the object holds, not a copy', () => {
    const value = 'ann@example.com';
    expect(lookupKey('userName', value)).toBe(value);
    expect(lookupKey('userName', 'Ann@example.com')).toBe(value);
  });
});
