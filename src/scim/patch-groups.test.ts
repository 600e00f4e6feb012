import { describe, expect, it } from 'vitest';
import { A, B, body, expectScimError, fixture, group, patch } from './patch.test-support.ts';
import { applyPatch } from './patch.ts';
import { normalisePatchRequest } from './patch-request.ts';

describe('applyPatch on groups', () => {
  it("renames a group with Entra's Update Group [Non-member attributes] and leaves members unchanged", () => {
    const result = patch('Group', group(), fixture('entra/group-patch-rename'));
    expect(result).toEqual({
      resource: { ...group(), displayName: '1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName' },
      members: 'unchanged',
      changed: true,
    });
  });

  it("turns Entra's Update Group [Add Members] into a member change without touching the group document", () => {
    const result = patch('Group', group(), fixture('entra/group-patch-add-member'));
    expect(result).toEqual({
      resource: group(),
      members: { add: [{ value: 'f648f8d5ea4e4cd38e9c' }] },
      changed: false,
    });
  });

  it('removes only the listed member when Entra sends remove path=members with a value array', () => {
    const { members } = patch('Group', group(), fixture('entra/group-patch-remove-member.default'));
    expect(members).toEqual({ remove: ['f648f8d5ea4e4cd38e9c'] });
  });

  it('removes only the member named by the aadOptscim062020 filter', () => {
    const { members } = patch('Group', group(), fixture('entra/group-patch-remove-member.flag'));
    expect(members).toEqual({ remove: ['7f4bc1a3-285e-48ae-8202-5accb43efb0e'] });
  });

  it('removes every member when remove path=members has no value', () => {
    expect(patch('Group', group(), body({ op: 'remove', path: 'members' })).members).toEqual({ remove: 'all' });
  });

  it('removes nobody when remove path=members carries an empty list', () => {
    expect(patch('Group', group(), body({ op: 'Remove', path: 'members', value: [] })).members).toBe('unchanged');
  });

  it('removes every member named by value eq terms joined by or', () => {
    const request = body({ op: 'remove', path: `members[value eq "${A}" or value eq "${B}"]` });
    expect(patch('Group', group(), request).members).toEqual({ remove: [A, B] });
  });

  it("applies Okta's mixed PATCH: the rename carrying the same id, a filtered remove and an add", () => {
    const start = { ...group(), id: 'abf4dd94-a4c0-4f67-89c9-76b03340cb9b', displayName: 'Test SCIMv2' };
    const result = patch('Group', start, fixture('okta/group-patch-membership'));
    expect(result).toEqual({
      resource: start,
      members: {
        remove: ['89bb1940-b905-4575-9e7f-6f887cfb368e'],
        add: [{ value: '23a35c27-23d3-4c03-b4c5-6443c09e7173' }],
      },
      changed: false,
    });
  });

  it("applies Okta's pathless group rename whose id is the group's own", () => {
    const start = { ...group(), id: 'abf4dd94-a4c0-4f67-89c9-76b03340cb9b', displayName: 'Old name' };
    expect(patch('Group', start, fixture('okta/group-patch-rename')).resource.displayName).toBe('Test SCIMv2');
  });

  it('replaces the whole membership with an Okta full push, as remove all then add', () => {
    expect(patch('Group', group(), fixture('okta/group-patch-push-members')).members).toEqual({
      remove: 'all',
      add: [{ value: '23a35c27-23d3-4c03-b4c5-6443c09e7173' }, { value: '89bb1940-b905-4575-9e7f-6f887cfb368e' }],
    });
  });

  it('empties the group on replace path=members with an empty list', () => {
    expect(patch('Group', group(), body({ op: 'replace', path: 'members', value: [] })).members).toEqual({
      remove: 'all',
    });
  });

  it('describes a one-member add to a large group as one added member, without reading the others', () => {
    const request = body({ op: 'add', path: 'members', value: [{ value: 'newcomer' }] });
    expect(patch('Group', group(), request).members).toEqual({ add: [{ value: 'newcomer' }] });
  });

  it('carries a hundred member adds in one change', () => {
    const value = Array.from({ length: 100 }, (_, i) => ({ value: `u${i}`, display: `User ${i}` }));
    const { members } = patch('Group', group(), body({ op: 'add', path: 'members', value }));
    expect(members !== 'unchanged' && members.add).toHaveLength(100);
  });

  it('drops an add of a member that a later operation removes', () => {
    const request = body(
      { op: 'add', path: 'members', value: [{ value: A }, { value: B }] },
      { op: 'remove', path: `members[value eq "${A}"]` },
    );
    expect(patch('Group', group(), request).members).toEqual({ remove: [A], add: [{ value: B }] });
  });

  it('keeps a member that is removed and then added again', () => {
    const request = body(
      { op: 'remove', path: `members[value eq "${A}"]` },
      { op: 'add', path: 'members', value: [{ value: A }] },
    );
    expect(patch('Group', group(), request).members).toEqual({ remove: [A], add: [{ value: A }] });
  });

  it('adds after a remove of all members, as a replacement', () => {
    const request = body({ op: 'remove', path: 'members' }, { op: 'add', path: 'members', value: [{ value: 'c' }] });
    expect(patch('Group', group(), request).members).toEqual({ remove: 'all', add: [{ value: 'c' }] });
  });

  it('keeps the Group type of a nested group member', () => {
    const request = body({ op: 'add', path: 'members', value: [{ value: 'g2', type: 'Group' }] });
    expect(patch('Group', group(), request).members).toEqual({ add: [{ value: 'g2', type: 'Group' }] });
  });

  it.each(['Members', 'urn:ietf:params:scim:schemas:core:2.0:Group:members'])(
    'adds members through path %s',
    (path) => {
      expect(patch('Group', group(), body({ op: 'add', path, value: [{ value: 'a' }] })).members).toEqual({
        add: [{ value: 'a' }],
      });
    },
  );

  it('replaces the membership through a pathless replace carrying members', () => {
    const request = body({ op: 'replace', value: { displayName: 'New', members: [{ value: 'a' }] } });
    const result = patch('Group', group(), request);
    expect(result.members).toEqual({ remove: 'all', add: [{ value: 'a' }] });
    expect(result.resource.displayName).toBe('New');
  });

  it('rejects a members filter other than value eq with invalidFilter', () => {
    expectScimError(
      () => patch('Group', group(), body({ op: 'remove', path: 'members[type eq "User"]' })),
      'invalidFilter',
    );
  });

  it('rejects a filtered replace of members with invalidPath', () => {
    const request = body({ op: 'replace', path: 'members[value eq "a"]', value: { value: 'b' } });
    expectScimError(() => patch('Group', group(), request), 'invalidPath');
  });

  it('rejects a sub-attribute path into members with invalidPath', () => {
    expectScimError(
      () => patch('Group', group(), body({ op: 'replace', path: 'members.value', value: 'b' })),
      'invalidPath',
    );
  });

  it('refuses to remove the required displayName of a group with invalidValue', () => {
    expectScimError(() => patch('Group', group(), body({ op: 'remove', path: 'displayName' })), 'invalidValue');
  });

  it('reports no member change when a later operation fails', () => {
    const request = body(
      { op: 'add', path: 'members', value: [{ value: 'a' }] },
      { op: 'replace', path: 'displayName', value: '' },
    );
    expectScimError(() => patch('Group', group(), request), 'invalidValue');
  });
});

describe('the id in a pathless value', () => {
  const group = { id: 'g-1', displayName: 'Ops' };
  const ops = (id: string) =>
    normalisePatchRequest('Group', {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', value: { id, displayName: 'Renamed' } }],
    });

  it("is accepted when it is the group's own, as Okta's rename sends it", () => {
    expect(applyPatch('Group', group, ops('g-1')).resource.displayName).toBe('Renamed');
  });

  it('is refused with mutability when it names another resource, changing nothing', () => {
    expect(() => applyPatch('Group', group, ops('g-2'))).toThrow(expect.objectContaining({ scimType: 'mutability' }));
  });
});
