import { describe, expect, it } from 'vitest';
import { body, ENTERPRISE, expectScimError, fixture, patch, user } from './patch.test-support.ts';

describe('applyPatch on users: Entra and Okta requests', () => {
  it("replaces the work email value and name.familyName as Entra's Update User [Multi-valued properties] asks, keeping primary", () => {
    const { resource, changed } = patch('User', user(), fixture('entra/user-patch-emails-and-family-name'));
    expect(resource.emails).toEqual([
      { primary: true, type: 'work', value: 'updatedEmail@microsoft.com' },
      { type: 'home', value: 'ada@home.example' },
    ]);
    expect(resource.name).toEqual({
      formatted: 'givenName familyName',
      familyName: 'updatedFamilyName',
      givenName: 'givenName',
    });
    expect(changed).toBe(true);
  });

  it("adds a work email when Entra's Update User [Multi-valued properties] replaces one that does not exist", () => {
    const { emails: _emails, ...withoutEmails } = user();
    const { resource } = patch('User', withoutEmails, fixture('entra/user-patch-emails-and-family-name'));
    expect(resource.emails).toEqual([{ type: 'work', value: 'updatedEmail@microsoft.com' }]);
  });

  it('appends a work email next to the other emails when no element matches', () => {
    const start = { ...user(), emails: [{ type: 'home', value: 'ada@home.example' }] };
    const { resource } = patch('User', start, fixture('entra/user-patch-emails-and-family-name'));
    expect(resource.emails).toEqual([
      { type: 'home', value: 'ada@home.example' },
      { type: 'work', value: 'updatedEmail@microsoft.com' },
    ]);
  });

  it('adds the email when Entra sends Add for emails[type eq "work"].value on a user without one', () => {
    const { emails: _emails, ...withoutEmails } = user();
    const request = body({ op: 'Add', path: 'emails[type eq "work"].value', value: 'new@work.example' });
    expect(patch('User', withoutEmails, request).resource.emails).toEqual([
      { type: 'work', value: 'new@work.example' },
    ]);
  });

  it("renames the user with Entra's Update User [Single-valued properties] and keeps its id", () => {
    const { resource } = patch('User', user(), fixture('entra/user-patch-rename'));
    expect(resource.userName).toBe('5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com');
    expect(resource.id).toBe('5171a35d82074e068ce2');
  });

  it.each([
    ['Entra default "False"', fixture('entra/user-patch-disable.default')],
    ["Entra's Disable User with aadOptscim062020 on", fixture('entra/user-patch-disable.flag')],
    ['a lowercase "false"', body({ op: 'replace', path: 'active', value: 'false' })],
    ["Okta's pathless replace", fixture('okta/user-patch-deactivate')],
    ['an uppercase REPLACE', body({ op: 'REPLACE', path: 'Active', value: false })],
  ])('disables the user given %s', (_form, request) => {
    const { resource, changed } = patch('User', user(), request);
    expect(resource.active).toBe(false);
    expect(changed).toBe(true);
  });

  it('re-enables a disabled user given "True"', () => {
    const request = body({ op: 'Replace', path: 'active', value: 'True' });
    expect(patch('User', { ...user(), active: false }, request).resource.active).toBe(true);
  });

  it('reports no change when disabling a user who is already disabled', () => {
    const result = patch('User', { ...user(), active: false }, fixture('entra/user-patch-disable.default'));
    expect(result.changed).toBe(false);
    expect(result.resource.active).toBe(false);
  });

  it('applies the flag-form pathless replace with dotted and URN keys to nested attributes', () => {
    const { resource } = patch('User', user(), fixture('entra/user-patch-replace-several.flag'));
    expect(resource).toMatchObject({
      displayName: 'Bjfe',
      name: { formatted: 'givenName familyName', givenName: 'Kkom', familyName: 'Unua' },
      emails: [{ primary: true, type: 'work', value: 'Cvxq@contoso.example' }, { type: 'home' }],
      [ENTERPRISE]: { employeeNumber: 'Aklq', manager: { value: 'm1' } },
    });
    expect(Object.keys(resource)).not.toContain('name.givenName');
    expect(Object.keys(resource).filter((k) => k.startsWith('urn:'))).toEqual([ENTERPRISE]);
  });

  it('gives the same user for the default and the aadOptscim062020 form, externalId aside', () => {
    const fromDefault = patch('User', user(), fixture('entra/user-patch-replace-several.default')).resource;
    const fromFlag = patch('User', user(), fixture('entra/user-patch-replace-several.flag')).resource;
    expect({ ...fromDefault, externalId: undefined }).toEqual({ ...fromFlag, externalId: undefined });
    expect(fromDefault.externalId).toBe('Ehvi');
  });

  it('replaces an existing nickName when Entra adds one, in both forms', () => {
    for (const name of ['entra/user-patch-add-nickname.default', 'entra/user-patch-add-nickname.flag']) {
      expect(patch('User', { ...user(), nickName: 'Ada' }, fixture(name)).resource.nickName).toBe('Babs');
    }
  });

  it('sets the manager from the plain string Entra adds under the enterprise URN path', () => {
    const { [ENTERPRISE]: _extension, ...start } = user();
    const { resource } = patch('User', start, fixture('entra/user-patch-manager-add-string'));
    expect(resource[ENTERPRISE]).toEqual({ manager: { value: '2c2f6fb8-254f-492e-b7fe-c09c5a61c8a2' } });
  });

  it('replaces the manager whole when a new manager id arrives, dropping the old $ref', () => {
    const { resource } = patch('User', user(), fixture('entra/user-patch-manager-add-string'));
    expect(resource[ENTERPRISE]).toEqual({
      employeeNumber: '42',
      manager: { value: '2c2f6fb8-254f-492e-b7fe-c09c5a61c8a2' },
    });
  });

  it('sets the manager from the legacy array form with $ref', () => {
    const { resource } = patch('User', user(), fixture('entra/user-patch-manager-add-legacy'));
    expect(resource[ENTERPRISE]).toEqual({
      employeeNumber: '42',
      manager: {
        $ref: 'http://example.com/scim/Users/00aa00aa-bb11-cc22-dd33-44ee44ee44ee',
        value: '00aa00aa-bb11-cc22-dd33-44ee44ee44ee',
      },
    });
  });

  it('sets the manager from { value } on an unqualified manager path', () => {
    const request = body({ op: 'replace', path: 'manager', value: { value: 'm2' } });
    expect(patch('User', user(), request).resource[ENTERPRISE]).toEqual({
      employeeNumber: '42',
      manager: { value: 'm2' },
    });
  });

  it('removes the manager when Entra removes manager[value eq "<its id>"]', () => {
    const start = { ...user(), [ENTERPRISE]: { manager: { value: '2c2f6fb8-254f-492e-b7fe-c09c5a61c8a2' } } };
    const { resource, changed } = patch('User', start, fixture('entra/user-patch-manager-remove-filter'));
    expect(resource).not.toHaveProperty([ENTERPRISE]);
    expect(changed).toBe(true);
  });

  it('leaves a different manager in place when the removal names another id', () => {
    const { resource, changed } = patch('User', user(), fixture('entra/user-patch-manager-remove-filter'));
    expect(resource[ENTERPRISE]).toEqual(user()[ENTERPRISE]);
    expect(changed).toBe(false);
  });

  it('keeps the manager $ref when the same manager id is sent again without it', () => {
    const request = body({ op: 'add', path: `${ENTERPRISE}:manager`, value: 'm1' });
    const { resource, changed } = patch('User', user(), request);
    expect(resource[ENTERPRISE]).toEqual(user()[ENTERPRISE]);
    expect(changed).toBe(false);
  });

  it('clears the manager when Entra replaces it with an empty string', () => {
    const request = body({ op: 'Replace', path: `${ENTERPRISE}:manager`, value: '' });
    expect(patch('User', user(), request).resource[ENTERPRISE]).toEqual({ employeeNumber: '42' });
  });

  it('adds the role Entra sends as a JSON string as a role object', () => {
    const { resource } = patch('User', user(), fixture('entra/user-patch-roles-json-string'));
    expect(resource.roles).toEqual([{ value: '25', display: 'Role1234' }]);
  });

  it('sets exactly the roles of an assertive roles replace', () => {
    const start = { ...user(), roles: [{ value: 'Old' }] };
    const { resource } = patch('User', start, fixture('entra/user-patch-roles-assertive'));
    expect(resource.roles).toEqual([
      { primary: false, type: 'WindowsAzureActiveDirectoryRole', display: 'Reader', value: 'Reader' },
      { primary: true, type: 'WindowsAzureActiveDirectoryRole', display: 'Admin', value: 'Admin' },
    ]);
  });

  it('adds a primary role through roles[primary eq "True"].value when there is none', () => {
    const request = body({ op: 'Add', path: 'roles[primary eq "True"].value', value: 'Admin' });
    expect(patch('User', user(), request).resource.roles).toEqual([{ primary: true, value: 'Admin' }]);
  });

  it.each(['Add', 'ADD', 'add'])('applies op %s', (op) => {
    expect(patch('User', user(), body({ op, path: 'nickName', value: 'Babs' })).resource.nickName).toBe('Babs');
  });

  it.each([
    ['replace with ""', { op: 'Replace', path: 'title', value: '' }],
    ['replace with null', { op: 'replace', path: 'title', value: null }],
    ['remove', { op: 'Remove', path: 'title' }],
    ['pathless replace with null', { op: 'replace', value: { title: null } }],
  ])('clears title given %s', (_form, operation) => {
    const { resource, changed } = patch('User', user(), body(operation));
    expect(resource).not.toHaveProperty('title');
    expect(changed).toBe(true);
  });

  it.each([
    ['id', 'id'],
    ['meta', 'meta'],
    ['meta.version', 'meta.version'],
    ['groups', 'groups'],
  ])('rejects a replace of the readOnly %s with mutability', (_name, path) => {
    const value = path === 'groups' ? [{ value: 'g1' }] : path === 'meta' ? { version: 'x' } : 'x';
    expectScimError(() => patch('User', user(), body({ op: 'replace', path, value })), 'mutability', /readOnly/);
  });

  it('rejects a remove of the readOnly id with mutability', () => {
    expectScimError(() => patch('User', user(), body({ op: 'remove', path: 'id' })), 'mutability');
  });

  it('clears the work email address when Entra replaces emails[type eq "work"].value with ""', () => {
    const request = body({ op: 'Replace', path: 'emails[type eq "work"].value', value: '' });
    expect(patch('User', user(), request).resource.emails).toEqual([
      { primary: true, type: 'work' },
      { type: 'home', value: 'ada@home.example' },
    ]);
  });

  it('applies nothing when a later operation fails, leaving the input untouched', () => {
    const start = user();
    const snapshot = structuredClone(start);
    const request = body(
      { op: 'replace', path: 'displayName', value: 'Changed' },
      { op: 'add', path: 'emails', value: [{ value: 'x@example.com', primary: true }] },
      { op: 'replace', path: 'active', value: 'perhaps' },
    );
    expectScimError(() => patch('User', start, request), 'invalidValue');
    expect(start).toEqual(snapshot);
  });

  it('never modifies the input resource, also when the patch succeeds', () => {
    const start = user();
    const snapshot = structuredClone(start);
    const { resource } = patch('User', start, fixture('entra/user-patch-replace-several.flag'));
    expect(start).toEqual(snapshot);
    expect(resource).not.toEqual(snapshot);
  });

  it('selects emails by value case-insensitively', () => {
    const request = body({ op: 'remove', path: 'emails[value eq "ADA@HOME.EXAMPLE"]' });
    expect(patch('User', user(), request).resource.emails).toEqual([
      { primary: true, type: 'work', value: 'ada@work.example' },
    ]);
  });

  it('selects emails by type case-insensitively', () => {
    const request = body({ op: 'replace', path: 'emails[type eq "WORK"].value', value: 'new@work.example' });
    expect(patch('User', user(), request).resource.emails).toEqual([
      { primary: true, type: 'work', value: 'new@work.example' },
      { type: 'home', value: 'ada@home.example' },
    ]);
  });

  it('rejects an add that leaves two work emails with invalidValue', () => {
    const request = body({ op: 'add', path: 'emails', value: [{ type: 'work', value: 'second@work.example' }] });
    expectScimError(() => patch('User', user(), request), 'invalidValue', /type 'work'/);
  });
});
