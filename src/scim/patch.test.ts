import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ScimType } from './errors.ts';
import { applyPatch, type PatchResult } from './patch.ts';
import type { PatchOperation } from './patch-operation.ts';
import { normalisePatchRequest } from './patch-request.ts';
import { ENTERPRISE_USER_SCHEMA, type ResourceTypeName } from './schemas.ts';
import { scimErrorOf } from './scim-error-of.test-support.ts';

const ENTERPRISE = ENTERPRISE_USER_SCHEMA;
/** Member ids, shaped as the store issues them. */
const A = '0b7e6a43-5c1d-4f2e-9a8b-000000000001';
const B = '0b7e6a43-5c1d-4f2e-9a8b-000000000002';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`../../test/fixtures/${name}.json`, import.meta.url), 'utf8'));
}

function body(...operations: unknown[]) {
  return { schemas: [PATCH_OP], Operations: operations };
}

/** Normalises `request` and applies it, as the PATCH endpoint does. */
function patch(type: ResourceTypeName, resource: Record<string, unknown>, request: unknown): PatchResult {
  return applyPatch(type, resource, normalisePatchRequest(type, request));
}

function expectScimError(run: () => unknown, scimType: ScimType, detail?: RegExp) {
  const err = scimErrorOf(run);
  expect({ status: err.status, scimType: err.scimType }).toEqual({ status: 400, scimType });
  if (detail) expect(err.message).toMatch(detail);
}

/** A canonical Entra user as stored after its Create User request, with a manager and a second email. */
function user(): Record<string, unknown> {
  return {
    id: '5171a35d82074e068ce2',
    externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
    userName: 'Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee',
    active: true,
    displayName: 'Ada Lovelace',
    title: 'Countess',
    emails: [
      { primary: true, type: 'work', value: 'ada@work.example' },
      { type: 'home', value: 'ada@home.example' },
    ],
    name: { formatted: 'givenName familyName', familyName: 'familyName', givenName: 'givenName' },
    [ENTERPRISE]: { employeeNumber: '42', manager: { value: 'm1', $ref: 'https://example.com/Users/m1' } },
  };
}

function group(): Record<string, unknown> {
  return { id: 'fa2ce26709934589afc5', externalId: '8aa1a0c0', displayName: 'displayName' };
}

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

describe('applyPatch on users: RFC 7644 section 3.5.2 semantics', () => {
  it('appends to a multi-valued attribute and skips an exact duplicate', () => {
    const request = body({
      op: 'add',
      path: 'emails',
      value: [
        { type: 'home', value: 'ada@home.example' },
        { type: 'other', value: 'ada@other.example' },
      ],
    });
    expect(patch('User', user(), request).resource.emails).toEqual([
      { primary: true, type: 'work', value: 'ada@work.example' },
      { type: 'home', value: 'ada@home.example' },
      { type: 'other', value: 'ada@other.example' },
    ]);
  });

  it('reports no change for an add that only repeats existing values', () => {
    const request = body({ op: 'add', path: 'emails', value: [{ type: 'home', value: 'ada@home.example' }] });
    expect(patch('User', user(), request).changed).toBe(false);
  });

  it('takes primary from the other emails when an added email is primary (RFC 7643 section 2.4)', () => {
    const request = body({
      op: 'add',
      path: 'emails',
      value: [{ type: 'other', value: 'o@example.com', primary: true }],
    });
    expect(patch('User', user(), request).resource.emails).toEqual([
      { primary: false, type: 'work', value: 'ada@work.example' },
      { type: 'home', value: 'ada@home.example' },
      { type: 'other', value: 'o@example.com', primary: true },
    ]);
  });

  it('takes primary from the others when a filtered replace sets primary on one email', () => {
    const request = body({ op: 'replace', path: 'emails[type eq "home"].primary', value: 'True' });
    expect(patch('User', user(), request).resource.emails).toEqual([
      { primary: false, type: 'work', value: 'ada@work.example' },
      { type: 'home', value: 'ada@home.example', primary: true },
    ]);
  });

  it('rejects an add of two primary emails at once with invalidValue', () => {
    const request = body({
      op: 'add',
      path: 'emails',
      value: [
        { type: 'other', value: 'o@example.com', primary: true },
        { type: 'home', value: 'h2@example.com', primary: true },
      ],
    });
    expectScimError(() => patch('User', user(), request), 'invalidValue', /primary/);
  });

  it('replaces the whole list when replace targets a multi-valued attribute without filter', () => {
    const request = body({ op: 'replace', path: 'emails', value: [{ type: 'home', value: 'only@home.example' }] });
    expect(patch('User', user(), request).resource.emails).toEqual([{ type: 'home', value: 'only@home.example' }]);
  });

  it('removes a multi-valued attribute replaced with an empty list', () => {
    expect(patch('User', user(), body({ op: 'replace', path: 'emails', value: [] })).resource).not.toHaveProperty(
      'emails',
    );
  });

  it('leaves the resource unchanged when an empty list is added', () => {
    expect(patch('User', user(), body({ op: 'add', path: 'emails', value: [] })).changed).toBe(false);
  });

  it('replaces a whole matching element when a filtered path has no sub-attribute', () => {
    const request = body({
      op: 'replace',
      path: 'emails[type eq "home"]',
      value: { type: 'home', value: 'moved@home.example' },
    });
    expect(patch('User', user(), request).resource.emails).toEqual([
      { primary: true, type: 'work', value: 'ada@work.example' },
      { type: 'home', value: 'moved@home.example' },
    ]);
  });

  it('merges the sub-attributes of a complex replace and keeps those not given', () => {
    const request = body({ op: 'replace', path: 'name', value: { givenName: 'Ada' } });
    expect(patch('User', user(), request).resource.name).toEqual({
      formatted: 'givenName familyName',
      familyName: 'familyName',
      givenName: 'Ada',
    });
  });

  it('merges a pathless add into a complex attribute', () => {
    const request = body({ op: 'add', value: { name: { middleName: 'Augusta' }, nickName: 'Babs' } });
    const { resource } = patch('User', user(), request);
    expect(resource.name).toMatchObject({ givenName: 'givenName', middleName: 'Augusta' });
    expect(resource.nickName).toBe('Babs');
  });

  it('sets a single-valued attribute that was missing when replace targets it', () => {
    const request = body({ op: 'replace', path: 'nickName', value: 'Babs' });
    expect(patch('User', user(), request).resource.nickName).toBe('Babs');
  });

  it('creates the complex parent when a sub-attribute path is set on a user without it', () => {
    const { name: _name, ...start } = user();
    const request = body({ op: 'replace', path: 'name.givenName', value: 'Ada' });
    expect(patch('User', start, request).resource.name).toEqual({ givenName: 'Ada' });
  });

  it('removes only the named sub-attribute of a complex attribute', () => {
    const { resource } = patch('User', user(), body({ op: 'remove', path: 'name.givenName' }));
    expect(resource.name).toEqual({ formatted: 'givenName familyName', familyName: 'familyName' });
  });

  it('removes a complex attribute whose last sub-attribute is removed', () => {
    const start = { ...user(), name: { givenName: 'Ada' } };
    expect(patch('User', start, body({ op: 'remove', path: 'name.givenName' })).resource).not.toHaveProperty('name');
  });

  it('removes the elements a filter selects', () => {
    const request = body({ op: 'remove', path: 'emails[type eq "home"]' });
    expect(patch('User', user(), request).resource.emails).toEqual([
      { primary: true, type: 'work', value: 'ada@work.example' },
    ]);
  });

  it('removes the attribute when a filtered remove takes its last element', () => {
    const request = body({ op: 'remove', path: 'emails[value pr]' });
    expect(patch('User', user(), request).resource).not.toHaveProperty('emails');
  });

  it('removes the sub-attribute of the elements a filter selects', () => {
    const request = body({ op: 'remove', path: 'emails[type eq "work"].primary' });
    expect(patch('User', user(), request).resource.emails).toEqual([
      { type: 'work', value: 'ada@work.example' },
      { type: 'home', value: 'ada@home.example' },
    ]);
  });

  it('treats a filtered remove that matches nothing as a no-op', () => {
    const result = patch('User', user(), body({ op: 'remove', path: 'emails[type eq "other"]' }));
    expect(result.changed).toBe(false);
  });

  it('removes only the listed elements when remove on a multi-valued attribute carries a value', () => {
    const request = body({ op: 'Remove', path: 'emails', value: [{ value: 'ADA@home.example' }] });
    expect(patch('User', user(), request).resource.emails).toEqual([
      { primary: true, type: 'work', value: 'ada@work.example' },
    ]);
  });

  it('removes a whole multi-valued attribute when remove has no filter and no value', () => {
    expect(patch('User', user(), body({ op: 'remove', path: 'emails' })).resource).not.toHaveProperty('emails');
  });

  it('treats the removal of an absent attribute as a no-op', () => {
    expect(patch('User', user(), body({ op: 'remove', path: 'nickName' })).changed).toBe(false);
  });

  it('reports no change when a replace sets the value already there', () => {
    expect(patch('User', user(), body({ op: 'replace', path: 'displayName', value: 'Ada Lovelace' })).changed).toBe(
      false,
    );
  });

  it('replaces an enterprise attribute through its URN path', () => {
    const request = body({ op: 'replace', path: `${ENTERPRISE}:employeeNumber`, value: '43' });
    expect(patch('User', user(), request).resource[ENTERPRISE]).toMatchObject({ employeeNumber: '43' });
  });

  it('creates the enterprise extension object when its first attribute is added', () => {
    const { [ENTERPRISE]: _extension, ...start } = user();
    const request = body({
      op: 'add',
      path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department',
      value: 'R&D',
    });
    expect(patch('User', start, request).resource[ENTERPRISE]).toEqual({ department: 'R&D' });
  });

  it('drops the enterprise extension object when its last attribute is removed', () => {
    const request = body({ op: 'remove', path: 'manager' }, { op: 'remove', path: `${ENTERPRISE}:employeeNumber` });
    expect(patch('User', user(), request).resource).not.toHaveProperty([ENTERPRISE]);
  });

  it.each([
    ['remove userName', { op: 'remove', path: 'userName' }],
    ['replace userName with ""', { op: 'Replace', path: 'userName', value: '' }],
    ['pathless replace of userName with null', { op: 'replace', value: { userName: null } }],
  ])('refuses to %s, a required attribute, with invalidValue', (_case, operation) => {
    expectScimError(() => patch('User', user(), body(operation)), 'invalidValue', /'userName' is required/);
  });

  it('rejects a value filter on a simple attribute with invalidFilter', () => {
    expectScimError(
      () => patch('User', user(), body({ op: 'remove', path: 'userName[value eq "x"]' })),
      'invalidFilter',
    );
  });

  it('rejects a value filter on the single-valued manager outside remove with invalidFilter', () => {
    const request = body({ op: 'replace', path: 'manager[value eq "m1"]', value: { value: 'm2' } });
    expectScimError(() => patch('User', user(), request), 'invalidFilter');
  });

  it('rejects a sub-attribute of a multi-valued attribute without a filter with invalidPath', () => {
    expectScimError(
      () => patch('User', user(), body({ op: 'replace', path: 'emails.value', value: 'x@example.com' })),
      'invalidPath',
    );
  });

  it('answers noTarget when a filtered replace matches nothing and its filter cannot describe a new element', () => {
    const request = body({ op: 'replace', path: 'emails[value co "nobody"].type', value: 'other' });
    expectScimError(() => patch('User', user(), request), 'noTarget');
  });
});

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
