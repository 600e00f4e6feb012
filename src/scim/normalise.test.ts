import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ScimType } from './errors.ts';
import { normaliseResource } from './normalise-resource.ts';
import type { PatchOperation } from './patch-operation.ts';
import { normalisePatchRequest } from './patch-request.ts';
import { ENTERPRISE_USER_SCHEMA, limits } from './schemas.ts';
import { scimErrorOf } from './scim-error-of.test-support.ts';

const ENTERPRISE = ENTERPRISE_USER_SCHEMA;
const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`../../test/fixtures/${name}.json`, import.meta.url), 'utf8'));
}

function patchBody(...operations: unknown[]) {
  return { schemas: [PATCH_OP], Operations: operations };
}

/** Operations without their parsed filters, which are compared separately where they matter. */
function withoutFilters(operations: PatchOperation[]): Record<string, unknown>[] {
  return operations.map(({ path, ...rest }) => {
    if (!path) return rest;
    const { valueFilter, ...restOfPath } = path;
    return { ...rest, path: valueFilter ? { ...restOfPath, filtered: true } : restOfPath };
  });
}

function expectScimError(run: () => unknown, status: number, scimType: ScimType | undefined, detail?: RegExp) {
  const err = scimErrorOf(run);
  expect({ status: err.status, scimType: err.scimType }).toEqual({ status, scimType });
  if (detail) expect(err.message).toMatch(detail);
}

describe('normaliseResource', () => {
  it("accepts Entra's Create User body verbatim, dropping the client meta, the empty roles and schemas", () => {
    expect(normaliseResource('User', fixture('entra/user-create'))).toEqual({
      externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
      userName: 'Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee',
      active: true,
      emails: [{ primary: true, type: 'work', value: 'Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com' }],
      name: { formatted: 'givenName familyName', familyName: 'familyName', givenName: 'givenName' },
    });
  });

  it('treats explicit nulls as absent and tolerates the typo enterprise URN in schemas', () => {
    expect(normaliseResource('User', fixture('entra/user-create-with-nulls'))).toEqual({
      externalId: 'jyoung',
      userName: 'jyoung@testuser.com',
      active: true,
      displayName: 'Joy Young',
      emails: [{ type: 'work', value: 'jyoung@Contoso.com', primary: true }],
      name: { familyName: 'Young', givenName: 'Joy' },
    });
  });

  it('drops the password and the readOnly groups Okta sends on create', () => {
    const result = normaliseResource('User', fixture('okta/user-create'));
    expect(result).not.toHaveProperty('password');
    expect(result).not.toHaveProperty('groups');
    expect(result).toMatchObject({
      userName: 'test.user@okta.local',
      externalId: '00ujl29u0le5T6Aj10h7',
      active: true,
    });
  });

  it("ignores the id, meta, groups and password that Okta's PUT re-sends from its GET", () => {
    expect(normaliseResource('User', fixture('okta/user-put'))).toEqual({
      userName: 'test.user@okta.local',
      name: { givenName: 'Another', familyName: 'User' },
      emails: [{ primary: true, value: 'test.user@okta.local', type: 'work' }],
      displayName: 'Another User',
      locale: 'en-US',
      externalId: '00ujl29u0le5T6Aj10h7',
      active: true,
    });
  });

  it('turns the string booleans Entra sends on create into booleans, also inside emails', () => {
    expect(normaliseResource('User', fixture('entra/user-create-active-string'))).toEqual({
      userName: 'adele@contoso.example',
      active: true,
      emails: [{ primary: true, type: 'work', value: 'adele@contoso.example' }],
    });
  });

  it.each([
    ['True', true],
    ['False', false],
    ['true', true],
    ['false', false],
    ['TRUE', true],
    [true, true],
    [false, false],
  ])('reads active given as %j as %j', (active, expected) => {
    expect(normaliseResource('User', { userName: 'u', active }).active).toBe(expected);
  });

  it.each([
    [{ userName: 5 }, /'userName' must be a string/],
    [{ userName: 'u', active: 'yes' }, /'active' must be a boolean/],
    [{ userName: 'u', active: 1 }, /'active' must be a boolean/],
    [{ userName: 'u', emails: 'a@b.example' }, /'emails' must be an array/],
    [{ userName: 'u', name: 'Ada Lovelace' }, /'name' must be an object/],
    [{ userName: 'u', emails: [{ value: 5 }] }, /'emails\[0\].value' must be a string/],
    [
      { userName: 'u', emails: [{ value: 'a@b.example', primary: 'maybe' }] },
      /'emails\[0\].primary' must be a boolean/,
    ],
    [{ userName: 'u', title: {} }, /'title' must be a string/],
    [{ userName: 'u', externalId: true }, /'externalId' must be a string/],
    [{ userName: 'u', [ENTERPRISE]: 'Sales' }, /must be an object/],
    [{ userName: 'u', [ENTERPRISE]: { department: 7 } }, /enterprise:2.0:User:department' must be a string/],
  ])('rejects a known attribute of the wrong JSON type with invalidValue naming it (%j)', (body, detail) => {
    expectScimError(() => normaliseResource('User', body), 400, 'invalidValue', detail);
  });

  it.each([
    ['missing', {}],
    ['null', { userName: null }],
    ['empty', { userName: '' }],
  ])('rejects a User whose required userName is %s with invalidValue', (_case, body) => {
    expectScimError(() => normaliseResource('User', body), 400, 'invalidValue', /'userName' is required/);
  });

  it('rejects a Group without displayName with invalidValue', () => {
    expectScimError(
      () => normaliseResource('Group', { members: [] }),
      400,
      'invalidValue',
      /'displayName' is required/,
    );
  });

  it.each([
    ['an array', []],
    ['a string', 'userName=u'],
    ['null', null],
  ])('rejects a body that is %s with invalidSyntax', (_case, body) => {
    expectScimError(() => normaliseResource('User', body), 400, 'invalidSyntax');
  });

  it('matches attribute and sub-attribute names case-insensitively and returns the registry spelling', () => {
    const body = {
      USERNAME: 'u',
      Name: { GivenName: 'Ada', FAMILYNAME: 'Lovelace' },
      emails: [{ Value: 'ada@example.com', Primary: true, TYPE: 'work' }],
      externalid: 'x1',
    };
    expect(normaliseResource('User', body)).toEqual({
      userName: 'u',
      name: { givenName: 'Ada', familyName: 'Lovelace' },
      emails: [{ value: 'ada@example.com', primary: true, type: 'work' }],
      externalId: 'x1',
    });
  });

  it('keeps enterprise attributes under the canonical URN key whatever the case of the key', () => {
    const body = {
      userName: 'u',
      'URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER': { Department: 'Sales' },
    };
    expect(normaliseResource('User', body)).toEqual({ userName: 'u', [ENTERPRISE]: { department: 'Sales' } });
  });

  it('folds URN-qualified enterprise keys into the extension and reads a manager string as its value', () => {
    expect(normaliseResource('User', fixture('entra/user-create-manager-string'))).toEqual({
      userName: 'myuser@contoso.example',
      [ENTERPRISE]: { manager: { value: 'myuser' }, department: 'Finance' },
    });
  });

  it('folds core-URN-qualified keys to the top level', () => {
    const body = { [`${CORE_USER}:userName`]: 'u', [`${CORE_USER}:name.givenName`]: 'Ada' };
    expect(normaliseResource('User', body)).toEqual({ userName: 'u', name: { givenName: 'Ada' } });
  });

  it('ignores the schemas an extension object lists inside itself, as scim2-models serialises it', () => {
    const body = { userName: 'ada', [ENTERPRISE]: { schemas: [ENTERPRISE], department: 'Research' } };
    expect(normaliseResource('User', body)).toEqual({ userName: 'ada', [ENTERPRISE]: { department: 'Research' } });
  });

  it('merges an extension object with URN-qualified keys of the same extension', () => {
    const body = { userName: 'u', [ENTERPRISE]: { department: 'Sales' }, [`${ENTERPRISE}:costCenter`]: 'CC1' };
    expect(normaliseResource('User', body)).toEqual({
      userName: 'u',
      [ENTERPRISE]: { department: 'Sales', costCenter: 'CC1' },
    });
  });

  it('files an unqualified enterprise attribute under the extension', () => {
    expect(normaliseResource('User', { userName: 'u', department: 'Sales' })).toEqual({
      userName: 'u',
      [ENTERPRISE]: { department: 'Sales' },
    });
  });

  it('keeps POSTed roles objects and the enterprise manager, dropping its readOnly displayName', () => {
    expect(normaliseResource('User', fixture('entra/user-create-with-roles'))).toEqual({
      userName: 'megan@contoso.example',
      active: true,
      roles: [{ primary: true, type: 'WindowsAzureActiveDirectoryRole', value: 'Admin' }],
      [ENTERPRISE]: {
        employeeNumber: '701984',
        department: 'Tour Operations',
        manager: { value: '26118915-6090-4610-87e4-49d8ca9f808d' },
      },
    });
  });

  it('drops a manager $ref given as null and a manager given as an empty string', () => {
    expect(normaliseResource('User', { userName: 'u', manager: { value: 'm1', $ref: null } })).toEqual({
      userName: 'u',
      [ENTERPRISE]: { manager: { value: 'm1' } },
    });
    expect(normaliseResource('User', { userName: 'u', manager: '' })).toEqual({ userName: 'u' });
  });

  it('unpacks an Entra role sent as a JSON string into value and display', () => {
    const value = JSON.stringify({ id: '06b07648-ecfe-589f-9d2f-6325724a46ee', value: '25', displayName: 'Role1234' });
    expect(normaliseResource('User', { userName: 'u', roles: [{ value }] }).roles).toEqual([
      { value: '25', display: 'Role1234' },
    ]);
  });

  it('keeps a role value that only looks like JSON as it was sent', () => {
    expect(normaliseResource('User', { userName: 'u', roles: [{ value: '{not json' }] }).roles).toEqual([
      { value: '{not json' },
    ]);
  });

  it('allows several roles of one type, as Entra sends every role as WindowsAzureActiveDirectoryRole', () => {
    const roles = [
      { type: 'WindowsAzureActiveDirectoryRole', value: 'Reader' },
      { type: 'WindowsAzureActiveDirectoryRole', value: 'Admin' },
    ];
    expect(normaliseResource('User', { userName: 'u', roles }).roles).toEqual(roles);
  });

  it('drops unknown attributes, custom extension attributes and unknown URN objects instead of failing', () => {
    const body = {
      userName: 'u',
      adreses: [{ locality: 'Paris' }],
      'urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User:CustomAttribute': 'x',
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0User': { department: 'Sales' },
      name: { givenName: 'Ada', nickname: 'unknown sub-attribute' },
    };
    expect(normaliseResource('User', body)).toEqual({ userName: 'u', name: { givenName: 'Ada' } });
  });

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

describe('normalisePatchRequest', () => {
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

  it.each([
    ['a string for active', { op: 'replace', path: 'active', value: 'yes' }, /'active' must be a boolean/],
    ['a number for userName', { op: 'replace', path: 'userName', value: 5 }, /'userName' must be a string/],
    ['a string for emails', { op: 'add', path: 'emails', value: 'a@example.com' }, /'emails' must be an array/],
  ])('rejects %s with invalidValue', (_case, operation, detail) => {
    expectScimError(() => normalisePatchRequest('User', patchBody(operation)), 400, 'invalidValue', detail);
  });

  it('rejects remove without a path with noTarget', () => {
    expectScimError(() => normalisePatchRequest('User', patchBody({ op: 'remove' })), 400, 'noTarget');
  });

  it.each([
    ['add', { op: 'add', path: 'title' }],
    ['replace', { op: 'replace', path: 'title' }],
  ])('rejects %s without a value member with invalidSyntax', (_op, operation) => {
    expectScimError(
      () => normalisePatchRequest('User', patchBody(operation)),
      400,
      'invalidSyntax',
      /requires a value/,
    );
  });

  it.each([
    ['an unknown op', { op: 'move', path: 'title', value: 'x' }],
    ['a missing op', { path: 'title', value: 'x' }],
    ['an operation that is not an object', 'replace title'],
  ])('rejects %s with invalidSyntax instead of succeeding silently', (_case, operation) => {
    expectScimError(() => normalisePatchRequest('User', patchBody(operation)), 400, 'invalidSyntax');
  });

  it.each([
    ['a body that is not an object', []],
    ['a missing Operations', { schemas: [PATCH_OP] }],
    ['an empty Operations', { schemas: [PATCH_OP], Operations: [] }],
    ['an Operations that is not an array', { schemas: [PATCH_OP], Operations: { op: 'add' } }],
    [
      'a wrong schema URN',
      {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        Operations: [{ op: 'add', path: 'title', value: 'x' }],
      },
    ],
  ])('rejects %s with invalidSyntax', (_case, body) => {
    expectScimError(() => normalisePatchRequest('User', body), 400, 'invalidSyntax');
  });

  it("tolerates a PatchOp without schemas, as in Okta's group rename", () => {
    expect(normalisePatchRequest('Group', fixture('okta/group-patch-rename'))).toEqual([
      { op: 'replace', value: { displayName: 'Test SCIMv2' }, expectId: 'abf4dd94-a4c0-4f67-89c9-76b03340cb9b' },
    ]);
  });

  it('accepts the Operations key in any case', () => {
    expect(normalisePatchRequest('User', { operations: [{ op: 'add', path: 'title', value: 'x' }] })).toHaveLength(1);
  });

  it('rejects more than limits.maxPatchOperations operations with 400 tooMany naming the cap', () => {
    const operations = Array.from({ length: limits.maxPatchOperations + 1 }, () => ({
      op: 'add',
      path: 'title',
      value: 'x',
    }));
    expectScimError(() => normalisePatchRequest('User', patchBody(...operations)), 400, 'tooMany');
  });
});
