import { describe, expect, it } from 'vitest';
import { expectScimError, fixture, patchBody, withoutFilters } from './normalise.test-support.ts';
import { normalisePatchRequest } from './patch-request.ts';

describe('normalisePatchRequest on clearing, readOnly attributes and members', () => {
  it.each([
    ['an empty string', ''],
    ['null', null],
  ])('reads a replace of title with %s as the removal of title', (_case, value) => {
    expect(normalisePatchRequest('User', patchBody({ op: 'Replace', path: 'title', value }))).toEqual([
      { op: 'remove', path: { attribute: { attribute: 'title' } } },
    ]);
  });

  it('reads nulls in a pathless replace as removals of those attributes', () => {
    const body = patchBody({ op: 'replace', value: { displayName: 'Ada', title: null, 'name.givenName': '' } });
    expect(normalisePatchRequest('User', body)).toEqual([
      { op: 'replace', value: { displayName: 'Ada' } },
      { op: 'remove', path: { attribute: { attribute: 'title' } } },
      { op: 'remove', path: { attribute: { attribute: 'name', subAttribute: 'givenName' } } },
    ]);
  });

  it('removes only the sub-attribute given as null in a complex replace, keeping the others as a replace', () => {
    const body = patchBody({ op: 'replace', path: 'name', value: { givenName: null, familyName: 'Lovelace' } });
    expect(normalisePatchRequest('User', body)).toEqual([
      { op: 'replace', path: { attribute: { attribute: 'name' } }, value: { familyName: 'Lovelace' } },
      { op: 'remove', path: { attribute: { attribute: 'name', subAttribute: 'givenName' } } },
    ]);
  });

  it("writes no id, meta or schemas from Okta's pathless group rename, keeping the id only to check the target", () => {
    const body = patchBody({
      op: 'replace',
      value: { id: 'abf4dd94', schemas: ['x'], meta: { version: 'W/"1"' }, displayName: 'Test SCIMv2' },
    });
    expect(normalisePatchRequest('Group', body)).toEqual([
      { op: 'replace', value: { displayName: 'Test SCIMv2' }, expectId: 'abf4dd94' },
    ]);
  });

  it.each(['id', 'meta', 'meta.version', 'groups', 'manager.displayName'])(
    'rejects a path to the readOnly %s with mutability, whatever the value',
    (path) => {
      expectScimError(
        () => normalisePatchRequest('User', patchBody({ op: 'replace', path, value: {} })),
        400,
        'mutability',
      );
    },
  );

  it('rejects the readOnly groups in a pathless value with mutability', () => {
    const body = patchBody({ op: 'add', value: { groups: [{ value: 'g1' }] } });
    expectScimError(() => normalisePatchRequest('User', body), 400, 'mutability');
  });

  it('rejects an unknown attribute in a pathless value with invalidPath, as it would in a path', () => {
    const body = patchBody({ op: 'replace', value: { nickName: 'Babs', favouriteColour: 'blue' } });
    expectScimError(() => normalisePatchRequest('User', body), 400, 'invalidPath', /favouriteColour/);
  });

  it('rejects a pathless add whose value is not an object with invalidValue', () => {
    expectScimError(() => normalisePatchRequest('User', patchBody({ op: 'add', value: 'x' })), 400, 'invalidValue');
  });

  it("drops the null $ref of Entra's Update Group [Add Members]", () => {
    expect(normalisePatchRequest('Group', fixture('entra/group-patch-add-member'))).toEqual([
      { op: 'add', path: { attribute: { attribute: 'members' } }, value: [{ value: 'f648f8d5ea4e4cd38e9c' }] },
    ]);
  });

  it('keeps the member list of the default Entra removal, so only those members are removed', () => {
    expect(normalisePatchRequest('Group', fixture('entra/group-patch-remove-member.default'))).toEqual([
      { op: 'remove', path: { attribute: { attribute: 'members' } }, value: [{ value: 'f648f8d5ea4e4cd38e9c' }] },
    ]);
  });

  it('reads the aadOptscim062020 member removal as a filtered remove without value', () => {
    const [operation] = normalisePatchRequest('Group', fixture('entra/group-patch-remove-member.flag'));
    expect(operation).toEqual({
      op: 'remove',
      path: {
        attribute: { attribute: 'members' },
        valueFilter: { op: 'eq', path: { attribute: 'value' }, value: '7f4bc1a3-285e-48ae-8202-5accb43efb0e' },
      },
    });
  });

  it('keeps an empty member list on remove, which removes nobody, apart from a remove without value', () => {
    expect(normalisePatchRequest('Group', patchBody({ op: 'remove', path: 'members', value: [] }))).toEqual([
      { op: 'remove', path: { attribute: { attribute: 'members' } }, value: [] },
    ]);
    expect(normalisePatchRequest('Group', patchBody({ op: 'remove', path: 'members' }))).toEqual([
      { op: 'remove', path: { attribute: { attribute: 'members' } } },
    ]);
  });

  it('reads the Okta mixed membership PATCH as a rename, a filtered remove and an add without display', () => {
    const operations = normalisePatchRequest('Group', fixture('okta/group-patch-membership'));
    expect(withoutFilters(operations)).toEqual([
      { op: 'replace', value: { displayName: 'Test SCIMv2' }, expectId: 'abf4dd94-a4c0-4f67-89c9-76b03340cb9b' },
      { op: 'remove', path: { attribute: { attribute: 'members' }, filtered: true } },
      {
        op: 'add',
        path: { attribute: { attribute: 'members' } },
        value: [{ value: '23a35c27-23d3-4c03-b4c5-6443c09e7173' }],
      },
    ]);
  });

  it('accepts a single member object where a list is expected', () => {
    const body = patchBody({ op: 'add', path: 'members', value: { value: 'u1', type: 'User' } });
    expect(normalisePatchRequest('Group', body)[0]?.value).toEqual([{ value: 'u1', type: 'User' }]);
  });

  it('rejects a member add without a member id with invalidValue', () => {
    const body = patchBody({ op: 'add', path: 'members', value: [{ display: 'Ada' }] });
    expectScimError(() => normalisePatchRequest('Group', body), 400, 'invalidValue');
  });

  it('coerces a string boolean in a filtered sub-attribute path such as roles[primary eq "True"].primary', () => {
    const body = patchBody({ op: 'replace', path: 'roles[primary eq "True"].primary', value: 'False' });
    expect(normalisePatchRequest('User', body)[0]?.value).toBe(false);
  });

  it('reads the element value of a filtered path without sub-attribute as one canonical element', () => {
    const body = patchBody({
      op: 'replace',
      path: 'emails[type eq "work"]',
      value: { Value: 'a@example.com', primary: 'true' },
    });
    expect(normalisePatchRequest('User', body)[0]?.value).toEqual({ value: 'a@example.com', primary: true });
  });
});
