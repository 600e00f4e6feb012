import { describe, expect, it } from 'vitest';
import {
  CORE_USER,
  ENTERPRISE,
  expectScimError,
  fixture,
  patchBody,
  withoutFilters,
} from './normalise.test-support.ts';
import { normalisePatchRequest } from './patch-request.ts';

describe('normalisePatchRequest on Entra and Okta paths and values', () => {
  it("reads Entra's Update User [Multi-valued properties] as a filtered email value replace and a name.familyName replace", () => {
    const operations = normalisePatchRequest('User', fixture('entra/user-patch-emails-and-family-name'));
    expect(withoutFilters(operations)).toEqual([
      {
        op: 'replace',
        path: { attribute: { attribute: 'emails' }, subAttribute: 'value', filtered: true },
        value: 'updatedEmail@microsoft.com',
      },
      {
        op: 'replace',
        path: { attribute: { attribute: 'name', subAttribute: 'familyName' } },
        value: 'updatedFamilyName',
      },
    ]);
    expect(operations[0]?.path?.valueFilter).toEqual({ op: 'eq', path: { attribute: 'type' }, value: 'work' });
  });

  it("reads Entra's Update User [Single-valued properties] as a userName replace", () => {
    expect(normalisePatchRequest('User', fixture('entra/user-patch-rename'))).toEqual([
      {
        op: 'replace',
        path: { attribute: { attribute: 'userName' } },
        value: '5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com',
      },
    ]);
  });

  it.each([
    ['the default form "False"', fixture('entra/user-patch-disable.default'), false],
    ['the flag form false', fixture('entra/user-patch-disable.flag'), false],
    ['a lowercase "false"', patchBody({ op: 'replace', path: 'active', value: 'false' }), false],
    ['a string "True"', patchBody({ op: 'Replace', path: 'active', value: 'True' }), true],
  ])('reads a disable or enable in %s as a boolean', (_form, body, expected) => {
    expect(normalisePatchRequest('User', body)).toEqual([
      { op: 'replace', path: { attribute: { attribute: 'active' } }, value: expected },
    ]);
  });

  it("reads Okta's pathless deactivate as a replace of active", () => {
    expect(normalisePatchRequest('User', fixture('okta/user-patch-deactivate'))).toEqual([
      { op: 'replace', value: { active: false } },
    ]);
  });

  it.each([
    ['Add', 'add'],
    ['ADD', 'add'],
    ['add', 'add'],
    ['Replace', 'replace'],
    ['REPLACE', 'replace'],
    ['Remove', 'remove'],
    ['rEmOvE', 'remove'],
  ])('accepts op %s as %s', (op, expected) => {
    const [operation] = normalisePatchRequest('User', patchBody({ op, path: 'nickName', value: 'Babs' }));
    expect(operation?.op).toBe(expected);
  });

  it('reads the add of nickName the same way with and without aadOptscim062020', () => {
    const expected = [{ op: 'add', path: { attribute: { attribute: 'nickName' } }, value: 'Babs' }];
    expect(normalisePatchRequest('User', fixture('entra/user-patch-add-nickname.default'))).toEqual(expected);
    expect(normalisePatchRequest('User', fixture('entra/user-patch-add-nickname.flag'))).toEqual(expected);
  });

  it('expands the dotted and URN-qualified keys of a pathless replace into nested attributes', () => {
    const [, pathless] = normalisePatchRequest('User', fixture('entra/user-patch-replace-several.flag'));
    expect(pathless).toEqual({
      op: 'replace',
      value: {
        displayName: 'Bjfe',
        name: { givenName: 'Kkom', familyName: 'Unua' },
        [ENTERPRISE]: { employeeNumber: 'Aklq' },
      },
    });
  });

  it('reads the default form of a several-attribute update as one replace per canonical path', () => {
    const operations = normalisePatchRequest('User', fixture('entra/user-patch-replace-several.default'));
    expect(withoutFilters(operations).map((o) => o.path)).toEqual([
      { attribute: { attribute: 'displayName' } },
      { attribute: { attribute: 'emails' }, subAttribute: 'value', filtered: true },
      { attribute: { attribute: 'name', subAttribute: 'givenName' } },
      { attribute: { attribute: 'name', subAttribute: 'familyName' } },
      { attribute: { attribute: 'externalId' } },
      { attribute: { schema: ENTERPRISE, attribute: 'employeeNumber' } },
    ]);
  });

  it('reads a manager added as a plain string under its URN path as { value }', () => {
    expect(normalisePatchRequest('User', fixture('entra/user-patch-manager-add-string'))).toEqual([
      {
        op: 'add',
        path: { attribute: { schema: ENTERPRISE, attribute: 'manager' } },
        value: { value: '2c2f6fb8-254f-492e-b7fe-c09c5a61c8a2' },
      },
    ]);
  });

  it('reads the legacy manager add, an array with $ref, as one complex value', () => {
    expect(normalisePatchRequest('User', fixture('entra/user-patch-manager-add-legacy'))).toEqual([
      {
        op: 'add',
        path: { attribute: { schema: ENTERPRISE, attribute: 'manager' } },
        value: {
          $ref: 'http://example.com/scim/Users/00aa00aa-bb11-cc22-dd33-44ee44ee44ee',
          value: '00aa00aa-bb11-cc22-dd33-44ee44ee44ee',
        },
      },
    ]);
  });

  it('reads the manager[value eq] removal as a filtered remove of the enterprise manager', () => {
    const [operation] = normalisePatchRequest('User', fixture('entra/user-patch-manager-remove-filter'));
    expect(operation).toEqual({
      op: 'remove',
      path: {
        attribute: { schema: ENTERPRISE, attribute: 'manager' },
        valueFilter: { op: 'eq', path: { attribute: 'value' }, value: '2c2f6fb8-254f-492e-b7fe-c09c5a61c8a2' },
      },
    });
  });

  it.each([
    ['an empty string', ''],
    ['null', null],
    ['an empty array', []],
  ])('reads a manager replaced with %s as its removal', (_case, value) => {
    expect(normalisePatchRequest('User', patchBody({ op: 'replace', path: 'manager', value }))).toEqual([
      { op: 'remove', path: { attribute: { schema: ENTERPRISE, attribute: 'manager' } } },
    ]);
  });

  it('unpacks the role JSON strings of an Entra roles add', () => {
    expect(normalisePatchRequest('User', fixture('entra/user-patch-roles-json-string'))).toEqual([
      { op: 'add', path: { attribute: { attribute: 'roles' } }, value: [{ value: '25', display: 'Role1234' }] },
    ]);
  });

  it('keeps the role objects of an assertive roles replace', () => {
    const [operation] = normalisePatchRequest('User', fixture('entra/user-patch-roles-assertive'));
    expect(operation?.value).toEqual([
      { primary: false, type: 'WindowsAzureActiveDirectoryRole', display: 'Reader', value: 'Reader' },
      { primary: true, type: 'WindowsAzureActiveDirectoryRole', display: 'Admin', value: 'Admin' },
    ]);
  });

  it.each([
    ['User', 'UserName', { attribute: 'userName' }],
    ['User', `${CORE_USER}:userName`, { attribute: 'userName' }],
    ['User', 'NAME.GIVENNAME', { attribute: 'name', subAttribute: 'givenName' }],
    [
      'User',
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:Department',
      { schema: ENTERPRISE, attribute: 'department' },
    ],
    ['User', 'department', { schema: ENTERPRISE, attribute: 'department' }],
    ['Group', 'Members', { attribute: 'members' }],
    ['Group', 'urn:ietf:params:scim:schemas:core:2.0:Group:members', { attribute: 'members' }],
  ] as const)('resolves the %s path %s to its canonical attribute', (type, path, attribute) => {
    const value = type === 'Group' ? [{ value: 'u1' }] : 'x';
    const [operation] = normalisePatchRequest(type, patchBody({ op: 'add', path, value }));
    expect(operation?.path).toEqual({ attribute });
  });

  it('reads the capitalised sub-attribute of emails[type eq "other"].Value from the Entra mapping table', () => {
    const [operation] = normalisePatchRequest(
      'User',
      patchBody({ op: 'Add', path: 'emails[type eq "other"].Value', value: 'x@example.com' }),
    );
    expect(operation?.path?.subAttribute).toBe('value');
  });

  it.each([
    ['an unknown attribute', 'nickname2'],
    ['an unknown sub-attribute', 'name.nickName'],
    [
      'a custom extension attribute',
      'urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User:CustomAttribute',
    ],
    ['an attribute of the other resource type', 'members'],
    ['broken syntax', 'emails[type eq "work"'],
  ])('rejects a path naming %s with invalidPath', (_case, path) => {
    expectScimError(
      () => normalisePatchRequest('User', patchBody({ op: 'replace', path, value: 'x' })),
      400,
      'invalidPath',
    );
  });

  it('rejects a path that is not a string with invalidPath', () => {
    expectScimError(
      () => normalisePatchRequest('User', patchBody({ op: 'replace', path: 5, value: 'x' })),
      400,
      'invalidPath',
    );
  });
});
