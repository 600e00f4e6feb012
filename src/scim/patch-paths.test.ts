import { describe, expect, it } from 'vitest';
import { body, ENTERPRISE, expectScimError, patch, user } from './patch.test-support.ts';
import { applyPatch } from './patch.ts';
import type { PatchOperation } from './patch-operation.ts';

describe('applyPatch on users: a path that names the enterprise extension (scim2-tester)', () => {
  const manager = { value: 'm2', $ref: 'https://example.com/Users/m2' };

  it('adds the attributes of the value to the extension, keeping the ones it does not name', () => {
    const value = { schemas: [ENTERPRISE], department: 'Research', manager };
    const { resource, changed } = patch('User', user(), body({ op: 'add', path: ENTERPRISE, value }));
    expect(resource[ENTERPRISE]).toEqual({ employeeNumber: '42', department: 'Research', manager });
    expect(changed).toBe(true);
  });

  it('replaces the attributes of the value, whatever the case of the URN', () => {
    const request = body({ op: 'replace', path: ENTERPRISE.toUpperCase(), value: { employeeNumber: '7', manager } });
    expect(patch('User', user(), request).resource[ENTERPRISE]).toEqual({ employeeNumber: '7', manager });
  });

  it('removes the whole extension on remove, leaving the core attributes alone', () => {
    const { resource, changed } = patch('User', user(), body({ op: 'remove', path: ENTERPRISE }));
    expect(resource[ENTERPRISE]).toBeUndefined();
    expect(resource.title).toBe('Countess');
    expect(changed).toBe(true);
  });

  it('removes the whole extension on a replace with null, as for any attribute', () => {
    const { resource } = patch('User', user(), body({ op: 'replace', path: ENTERPRISE, value: null }));
    expect(resource[ENTERPRISE]).toBeUndefined();
  });

  it('rejects a value that is not an object with invalidValue', () => {
    const request = body({ op: 'add', path: ENTERPRISE, value: 'Research' });
    expectScimError(() => patch('User', user(), request), 'invalidValue', /must be an object/);
  });

  it('rejects an unknown attribute inside the value with invalidPath', () => {
    const request = body({ op: 'add', path: ENTERPRISE, value: { favouriteColour: 'blue' } });
    expectScimError(() => patch('User', user(), request), 'invalidPath', /favouriteColour/);
  });

  it('still rejects the core schema URN as a path with invalidPath', () => {
    const request = body({ op: 'add', path: 'urn:ietf:params:scim:schemas:core:2.0:User', value: { title: 'x' } });
    expectScimError(() => patch('User', user(), request), 'invalidPath', /names a schema/);
  });
});

describe('applyPatch called directly', () => {
  const at = (attribute: string, extra: Partial<PatchOperation> = {}): PatchOperation => ({
    op: 'replace',
    path: { attribute: { attribute } },
    ...extra,
  });

  it('rejects a value of the wrong type with invalidValue', () => {
    expectScimError(() => applyPatch('User', user(), [at('active', { value: 'perhaps' })]), 'invalidValue', /boolean/);
  });

  it('rejects an unknown attribute with invalidPath', () => {
    expectScimError(() => applyPatch('User', user(), [at('favouriteColour', { value: 'blue' })]), 'invalidPath');
  });

  it('rejects a remove without path with noTarget', () => {
    expectScimError(() => applyPatch('User', user(), [{ op: 'remove' }]), 'noTarget');
  });

  it('rejects a pathless replace whose value is not an object with invalidValue', () => {
    expectScimError(() => applyPatch('User', user(), [{ op: 'replace', value: 'x' }]), 'invalidValue');
  });

  it('returns the input unchanged for an empty operation list', () => {
    expect(applyPatch('User', user(), [])).toEqual({ resource: user(), members: 'unchanged', changed: false });
  });
});
