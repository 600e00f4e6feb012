import { describe, expect, it } from 'vitest';
import { buildResourceDocument, resourceLocation, toETag, versionsFromIfMatch } from './resource-document.ts';
import { ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA } from './schemas.ts';
import type { StoredResource } from './store.ts';

const baseUrl = 'https://scim.example.com/scim/v2/';

function stored(attributes: Record<string, unknown>): StoredResource {
  return {
    id: 'abc',
    version: '42',
    created: '2026-01-01T00:00:00.000Z',
    lastModified: '2026-01-02T00:00:00.000Z',
    attributes,
  };
}

describe('buildResourceDocument', () => {
  it('builds a User with id, externalId, attributes and meta with an absolute location and a weak ETag', () => {
    const doc = buildResourceDocument('User', stored({ userName: 'bjensen', externalId: 'e1', active: true }), {
      baseUrl,
    });
    expect(doc).toEqual({
      schemas: [USER_SCHEMA],
      id: 'abc',
      externalId: 'e1',
      userName: 'bjensen',
      active: true,
      meta: {
        resourceType: 'User',
        created: '2026-01-01T00:00:00.000Z',
        lastModified: '2026-01-02T00:00:00.000Z',
        location: 'https://scim.example.com/scim/v2/Users/abc',
        version: 'W/"42"',
      },
    });
  });

  it('lists the enterprise schema only when the extension has a value', () => {
    const withExtension = stored({ userName: 'b', [ENTERPRISE_USER_SCHEMA]: { department: 'R&D' } });
    expect(buildResourceDocument('User', withExtension, { baseUrl }).schemas).toEqual([
      USER_SCHEMA,
      ENTERPRISE_USER_SCHEMA,
    ]);
    const emptyExtension = stored({ userName: 'b', [ENTERPRISE_USER_SCHEMA]: {} });
    const doc = buildResourceDocument('User', emptyExtension, { baseUrl });
    expect(doc.schemas).toEqual([USER_SCHEMA]);
    expect(doc).not.toHaveProperty([ENTERPRISE_USER_SCHEMA]);
  });

  it('gives members a $ref by type and leaves members out when they were not read', () => {
    const group = stored({ displayName: 'Admins' });
    const members = [{ value: 'u1', type: 'User' as const }, { value: 'g2', type: 'Group' as const }, { value: 'u2' }];
    expect(buildResourceDocument('Group', group, { baseUrl, members }).members).toEqual([
      { value: 'u1', $ref: 'https://scim.example.com/scim/v2/Users/u1', type: 'User' },
      { value: 'g2', $ref: 'https://scim.example.com/scim/v2/Groups/g2', type: 'Group' },
      { value: 'u2', $ref: 'https://scim.example.com/scim/v2/Users/u2', type: 'User' },
    ]);
    const doc = buildResourceDocument('Group', group, { baseUrl });
    expect(doc.schemas).toEqual([GROUP_SCHEMA]);
    expect(doc).not.toHaveProperty('members');
  });

  it("adds a User's groups as direct memberships", () => {
    const doc = buildResourceDocument('User', stored({ userName: 'b' }), {
      baseUrl,
      groups: [{ id: 'g1', displayName: 'Admins' }],
    });
    expect(doc.groups).toEqual([
      { value: 'g1', $ref: 'https://scim.example.com/scim/v2/Groups/g1', display: 'Admins', type: 'direct' },
    ]);
  });

  it('never emits null values', () => {
    const doc = buildResourceDocument('User', stored({ userName: 'b', title: null, name: { givenName: null } }), {
      baseUrl,
    });
    expect(JSON.stringify(doc)).not.toContain('null');
  });
});

describe('resourceLocation and ETags', () => {
  it('builds locations under the base URL', () => {
    expect(resourceLocation('https://h/scim/v2', 'Group', 'g1')).toBe('https://h/scim/v2/Groups/g1');
  });

  it('reads versions from If-Match in weak, strong and bare form; * means any', () => {
    expect(versionsFromIfMatch(toETag('7'))).toEqual(['7']);
    expect(versionsFromIfMatch('"7", W/"8"')).toEqual(['7', '8']);
    expect(versionsFromIfMatch('9')).toEqual(['9']);
    expect(versionsFromIfMatch('*')).toBeUndefined();
    expect(versionsFromIfMatch(undefined)).toBeUndefined();
  });
});
