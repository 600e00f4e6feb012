import { describe, expect, it } from 'vitest';
import type { AttributePath } from './attribute-path.ts';
import { formatAttributePath, locateAttribute, parseAttributePath, resolveAttribute } from './attribute-path.ts';
import type { ResourceTypeName } from './schemas.ts';
import { ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA } from './schemas.ts';
import { scimErrorOf } from './scim-error-of.test-support.ts';

const ENTERPRISE = ENTERPRISE_USER_SCHEMA;

describe('parseAttributePath', () => {
  it.each<{ name: string; text: string; expected: AttributePath }>([
    { name: 'reads a plain attribute name', text: 'userName', expected: { attribute: 'userName' } },
    {
      name: 'respells an upper-case name as the registry does, because names are case-insensitive',
      text: 'USERNAME',
      expected: { attribute: 'userName' },
    },
    {
      name: 'reads a sub-attribute after a dot',
      text: 'name.givenName',
      expected: { attribute: 'name', subAttribute: 'givenName' },
    },
    {
      name: 'respells name.FamilyName as name.familyName',
      text: 'name.FamilyName',
      expected: { attribute: 'name', subAttribute: 'familyName' },
    },
    {
      name: "respells Entra's emails.Value as emails.value",
      text: 'emails.Value',
      expected: { attribute: 'emails', subAttribute: 'value' },
    },
    {
      name: 'splits the core User URN from the attribute',
      text: `${USER_SCHEMA}:userName`,
      expected: { schema: USER_SCHEMA, attribute: 'userName' },
    },
    {
      name: 'reports a lower-case registry URN with its registry spelling',
      text: `${USER_SCHEMA.toLowerCase()}:username`,
      expected: { schema: USER_SCHEMA, attribute: 'userName' },
    },
    {
      name: 'splits the enterprise URN from a plain extension attribute',
      text: `${ENTERPRISE}:employeeNumber`,
      expected: { schema: ENTERPRISE, attribute: 'employeeNumber' },
    },
    {
      name: 'splits the enterprise URN, whose version contains a dot, from manager.value',
      text: `${ENTERPRISE}:manager.value`,
      expected: { schema: ENTERPRISE, attribute: 'manager', subAttribute: 'value' },
    },
    {
      name: 'qualifies a Group attribute with the Group URN',
      text: `${GROUP_SCHEMA}:members`,
      expected: { schema: GROUP_SCHEMA, attribute: 'members' },
    },
    {
      name: 'keeps an unknown custom extension URN as sent, split at its last colon',
      text: 'urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User:CustomAttribute',
      expected: {
        schema: 'urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User',
        attribute: 'CustomAttribute',
      },
    },
    {
      name: 'keeps an unknown attribute name as sent',
      text: 'favouriteColour',
      expected: { attribute: 'favouriteColour' },
    },
    {
      name: 'accepts $ref as a sub-attribute name',
      text: 'members.$ref',
      expected: { attribute: 'members', subAttribute: '$ref' },
    },
    {
      name: 'accepts digits, hyphens and underscores after the first letter',
      text: 'x_custom-attr2',
      expected: { attribute: 'x_custom-attr2' },
    },
    {
      name: 'reads meta sub-attributes',
      text: 'meta.LASTMODIFIED',
      expected: { attribute: 'meta', subAttribute: 'lastModified' },
    },
  ])('$name', ({ text, expected }) => {
    expect(parseAttributePath(text)).toStrictEqual(expected);
  });

  it.each<{ name: string; text: string }>([
    { name: 'rejects an empty path', text: '' },
    { name: 'rejects a path with a space in it', text: 'user name' },
    { name: 'rejects a name that starts with a digit', text: '1userName' },
    { name: 'rejects a second level of sub-attributes', text: 'name.givenName.first' },
    { name: 'rejects a trailing dot', text: 'name.' },
    { name: 'rejects a leading dot', text: '.name' },
    { name: 'rejects brackets, which only PATCH paths and filters may contain', text: 'emails[type eq "work"]' },
    { name: 'rejects a bare schema URN, which names no attribute', text: USER_SCHEMA },
    { name: 'rejects a schema URN followed by nothing', text: `${ENTERPRISE}:` },
    { name: 'rejects a URN with an empty segment', text: 'urn::userName' },
    { name: 'rejects a quoted name', text: '"userName"' },
  ])('$name, with scimType invalidPath', ({ text }) => {
    const error = scimErrorOf(() => parseAttributePath(text));
    expect(error.status).toBe(400);
    expect(error.scimType).toBe('invalidPath');
  });
});

describe('resolveAttribute', () => {
  it.each<{ name: string; type: ResourceTypeName; path: string; expected: string | undefined }>([
    { name: 'resolves userName on User', type: 'User', path: 'userName', expected: 'userName' },
    { name: 'resolves USERNAME on User case-insensitively', type: 'User', path: 'USERNAME', expected: 'userName' },
    { name: 'does not resolve userName on Group', type: 'Group', path: 'userName', expected: undefined },
    { name: 'resolves displayName on Group', type: 'Group', path: 'displayName', expected: 'displayName' },
    { name: 'resolves members on Group', type: 'Group', path: 'members', expected: 'members' },
    { name: 'resolves the sub-attribute of emails.value', type: 'User', path: 'emails.value', expected: 'value' },
    { name: 'resolves id, a common attribute, on User', type: 'User', path: 'id', expected: 'id' },
    {
      name: 'resolves externalId, a common attribute, on Group',
      type: 'Group',
      path: 'externalId',
      expected: 'externalId',
    },
    { name: 'resolves meta.created on Group', type: 'Group', path: 'meta.created', expected: 'created' },
    {
      name: 'resolves a common attribute qualified with the core schema of the type',
      type: 'User',
      path: `${USER_SCHEMA}:id`,
      expected: 'id',
    },
    {
      name: "resolves an unqualified enterprise attribute on User, because Entra sends 'manager eq'",
      type: 'User',
      path: 'manager',
      expected: 'manager',
    },
    { name: 'does not resolve manager on Group', type: 'Group', path: 'manager', expected: undefined },
    {
      name: 'resolves a qualified enterprise attribute',
      type: 'User',
      path: `${ENTERPRISE}:employeeNumber`,
      expected: 'employeeNumber',
    },
    {
      name: 'does not resolve a core attribute qualified with the enterprise URN',
      type: 'User',
      path: `${ENTERPRISE}:userName`,
      expected: undefined,
    },
    {
      name: 'does not resolve a User attribute qualified with the Group URN',
      type: 'User',
      path: `${GROUP_SCHEMA}:displayName`,
      expected: undefined,
    },
    { name: 'does not resolve an unknown sub-attribute', type: 'User', path: 'name.nickname', expected: undefined },
    {
      name: 'does not resolve an attribute of an unknown extension',
      type: 'User',
      path: 'urn:ietf:params:scim:schemas:extension:Custom:2.0:User:costCenter',
      expected: undefined,
    },
  ])('$name', ({ type, path, expected }) => {
    expect(resolveAttribute(type, parseAttributePath(path))?.name).toBe(expected);
  });

  it('resolves names in any case even when the path was not canonicalised', () => {
    expect(resolveAttribute('User', { attribute: 'NAME', subAttribute: 'GIVENNAME' })?.name).toBe('givenName');
  });

  it('reports the extension URN an enterprise attribute is stored under', () => {
    expect(locateAttribute('User', { attribute: 'manager', subAttribute: 'value' })).toMatchObject({
      extension: ENTERPRISE,
      definition: { name: 'manager' },
      subDefinition: { name: 'value' },
    });
  });

  it('reports no extension for a core attribute', () => {
    expect(locateAttribute('User', { attribute: 'userName' })?.extension).toBeUndefined();
  });
});

describe('formatAttributePath', () => {
  it('writes the schema, attribute and sub-attribute back as text', () => {
    expect(formatAttributePath({ schema: ENTERPRISE, attribute: 'manager', subAttribute: 'value' })).toBe(
      `${ENTERPRISE}:manager.value`,
    );
  });
});
