import { describe, expect, it } from 'vitest';
import { body, ENTERPRISE, expectScimError, patch, user } from './patch.test-support.ts';

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
