import { describe, expect, it } from 'vitest';
import { CORE_USER, ENTERPRISE, expectScimError, fixture } from './normalise.test-support.ts';
import { normaliseResource } from './normalise-resource.ts';

describe('normaliseResource on readOnly attributes, members and multi-valued rules', () => {
  it('drops the readOnly id, meta and groups a client sends', () => {
    const body = { id: 'client-id', meta: { resourceType: 'User' }, groups: [{ value: 'g1' }], userName: 'u' };
    expect(normaliseResource('User', body)).toEqual({ userName: 'u' });
  });

  it("accepts Entra's Create Group body with the Microsoft schema URN", () => {
    expect(normaliseResource('Group', fixture('entra/group-create'))).toEqual({
      externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159',
      displayName: 'displayName',
    });
  });

  it("keeps Okta's empty members list, so a caller can tell an empty group from an omitted member list", () => {
    expect(normaliseResource('Group', fixture('okta/group-create'))).toEqual({
      displayName: 'Test SCIMv2',
      members: [],
    });
  });

  it('reduces members to value and canonical type, dropping display and $ref and repeated ids', () => {
    const members = [
      { value: 'u1', display: 'Ada', $ref: 'https://example.com/Users/u1' },
      { value: 'g1', type: 'group' },
      { value: 'u1', type: 'User' },
      { value: 'u2', type: 'USER', $ref: null },
    ];
    expect(normaliseResource('Group', { displayName: 'g', members }).members).toEqual([
      { value: 'u1' },
      { value: 'g1', type: 'Group' },
      { value: 'u2', type: 'User' },
    ]);
  });

  it.each([
    ['without a value', { display: 'Ada' }, /members\[0\].value' is required/],
    ['with an unknown type', { value: 'u1', type: 'Robot' }, /members\[0\].type' must be 'User' or 'Group'/],
  ])('rejects a member %s with invalidValue', (_case, member, detail) => {
    expectScimError(
      () => normaliseResource('Group', { displayName: 'g', members: [member] }),
      400,
      'invalidValue',
      detail,
    );
  });

  it('rejects two emails of type work, whatever their case', () => {
    const emails = [
      { type: 'work', value: 'a@example.com' },
      { type: 'Work', value: 'b@example.com' },
    ];
    expectScimError(() => normaliseResource('User', { userName: 'u', emails }), 400, 'invalidValue', /type 'work'/);
  });

  it('accepts Group members that share a type: most members are Users', () => {
    const members = [
      { value: 'u1', type: 'User' },
      { value: 'u2', type: 'User' },
    ];
    expect(normaliseResource('Group', { displayName: 'g', members }).members).toEqual(members);
  });

  it('rejects two primary emails (RFC 7643 section 2.4)', () => {
    const emails = [
      { type: 'work', value: 'a@example.com', primary: true },
      { type: 'home', value: 'b@example.com', primary: 'True' },
    ];
    expectScimError(() => normaliseResource('User', { userName: 'u', emails }), 400, 'invalidValue', /primary/);
  });

  it('accepts a single email object where an array is expected', () => {
    expect(normaliseResource('User', { userName: 'u', emails: { value: 'a@example.com' } }).emails).toEqual([
      { value: 'a@example.com' },
    ]);
  });

  it('drops empty strings, empty complex values and empty extension objects as unassigned', () => {
    const body = { userName: 'u', title: '', name: {}, emails: [], [ENTERPRISE]: { department: null } };
    expect(normaliseResource('User', body)).toEqual({ userName: 'u' });
  });

  it('returns the attributes without schemas', () => {
    expect(normaliseResource('User', { schemas: [CORE_USER], userName: 'u' })).toEqual({ userName: 'u' });
  });
});
