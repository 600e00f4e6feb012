import { describe, expect, it } from 'vitest';
import { CORE_USER, ENTERPRISE, expectScimError, fixture } from './normalise.test-support.ts';
import { normaliseResource } from './normalise-resource.ts';

describe('normaliseResource on IdP bodies, names and types', () => {
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
});
