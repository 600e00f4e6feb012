import { describe, expect, it } from 'vitest';
import { isReturned, project } from './projection.ts';
import { ENTERPRISE_USER_SCHEMA, USER_SCHEMA } from './schemas.ts';

const user = {
  schemas: [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
  id: 'u1',
  externalId: 'ext-1',
  userName: 'bjensen@example.com',
  name: { givenName: 'Barbara', familyName: 'Jensen' },
  emails: [{ value: 'bjensen@example.com', type: 'work', primary: true }],
  active: true,
  [ENTERPRISE_USER_SCHEMA]: { employeeNumber: '701984', manager: { value: 'm1', displayName: 'Boss' } },
  groups: [{ value: 'g1', display: 'Admins' }],
  meta: { resourceType: 'User', created: '2026-01-01T00:00:00.000Z', version: 'W/"3"', location: 'https://x/Users/u1' },
};

const group = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
  id: 'g1',
  displayName: 'Admins',
  members: [{ value: 'u1', type: 'User' }],
  meta: { resourceType: 'Group', version: 'W/"1"' },
};

describe('project', () => {
  it('returns default attributes when neither parameter is given', () => {
    expect(project(user, 'User')).toEqual(user);
  });

  it('returns only the requested attributes plus schemas, id and meta.resourceType', () => {
    expect(project(user, 'User', { attributes: ['userName', 'emails'] })).toEqual({
      schemas: user.schemas,
      id: 'u1',
      userName: user.userName,
      emails: user.emails,
      meta: { resourceType: 'User' },
    });
  });

  it('matches attribute names case-insensitively and selects sub-attributes', () => {
    expect(project(user, 'User', { attributes: ['NAME.GIVENNAME', 'emails.Value'] })).toEqual({
      schemas: user.schemas,
      id: 'u1',
      name: { givenName: 'Barbara' },
      emails: [{ value: 'bjensen@example.com' }],
      meta: { resourceType: 'User' },
    });
  });

  it('accepts URN-qualified core and extension names, and a bare extension attribute name', () => {
    const projected = project(user, 'User', {
      attributes: [`${USER_SCHEMA}:userName`, `${ENTERPRISE_USER_SCHEMA}:manager.value`, 'employeeNumber'],
    });
    expect(projected).toEqual({
      schemas: user.schemas,
      id: 'u1',
      userName: user.userName,
      [ENTERPRISE_USER_SCHEMA]: { employeeNumber: '701984', manager: { value: 'm1' } },
      meta: { resourceType: 'User' },
    });
  });

  it('answers attributes=id with the id alone, as Entra reference checks ask', () => {
    expect(project(user, 'User', { attributes: ['id'] })).toEqual({
      schemas: user.schemas,
      id: 'u1',
      meta: { resourceType: 'User' },
    });
  });

  it('leaves out excluded attributes, sub-attributes and whole extensions', () => {
    const projected = project(user, 'User', {
      excludedAttributes: ['groups', 'name.familyName', ENTERPRISE_USER_SCHEMA, 'meta.location'],
    });
    expect(projected).not.toHaveProperty('groups');
    expect(projected).not.toHaveProperty([ENTERPRISE_USER_SCHEMA]);
    expect(projected.name).toEqual({ givenName: 'Barbara' });
    expect(projected.meta).toEqual({ resourceType: 'User', created: user.meta.created, version: 'W/"3"' });
  });

  it('never excludes always-returned attributes', () => {
    const projected = project(user, 'User', { excludedAttributes: ['id', 'schemas', 'meta'] });
    expect(projected.id).toBe('u1');
    expect(projected.schemas).toEqual(user.schemas);
    expect(projected.meta).toEqual({ resourceType: 'User' });
  });

  it('drops members of a Group under excludedAttributes=members', () => {
    expect(project(group, 'Group', { excludedAttributes: ['members'] })).not.toHaveProperty('members');
  });

  it('ignores names the resource type does not have', () => {
    expect(project(group, 'Group', { attributes: ['userName', 'nonsense.x', 'displayName'] })).toEqual({
      schemas: group.schemas,
      id: 'g1',
      displayName: 'Admins',
      meta: { resourceType: 'Group' },
    });
  });
});

describe('isReturned', () => {
  it('tells whether members would be in the response, so large groups need not be read', () => {
    expect(isReturned('Group', 'members')).toBe(true);
    expect(isReturned('Group', 'members', { excludedAttributes: ['Members'] })).toBe(false);
    expect(isReturned('Group', 'members', { attributes: ['displayName'] })).toBe(false);
    expect(isReturned('Group', 'members', { attributes: ['members.value'] })).toBe(true);
    expect(isReturned('Group', 'members', { excludedAttributes: ['members.type'] })).toBe(true);
    expect(isReturned('User', 'groups', { attributes: ['id'] })).toBe(false);
  });
});
