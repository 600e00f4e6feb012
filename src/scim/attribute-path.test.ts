import { describe, expect, it } from 'vitest';
import type { AttributePath } from './attribute-path.ts';
import { formatAttributePath, locateAttribute, parseAttributePath, resolveAttribute } from './attribute-path.ts';
import { type PatchPath, parsePatchPath } from './patch-path.ts';
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

describe('parsePatchPath', () => {
  it.each<{ name: string; text: string; expected: PatchPath }>([
    { name: 'reads a plain attribute', text: 'members', expected: { attribute: { attribute: 'members' } } },
    {
      name: 'respells Members as members',
      text: 'Members',
      expected: { attribute: { attribute: 'members' } },
    },
    {
      name: 'reads a Group-URN-qualified members path',
      text: `${GROUP_SCHEMA}:members`,
      expected: { attribute: { schema: GROUP_SCHEMA, attribute: 'members' } },
    },
    {
      name: 'keeps a dotted sub-attribute inside the attribute path',
      text: 'name.familyName',
      expected: { attribute: { attribute: 'name', subAttribute: 'familyName' } },
    },
    {
      name: 'reads the member removal filter of aadOptscim062020 and Okta',
      text: 'members[value eq "7f4bc1a3-285e-48ae-8202-5accb43efb0e"]',
      expected: {
        attribute: { attribute: 'members' },
        valueFilter: { op: 'eq', path: { attribute: 'value' }, value: '7f4bc1a3-285e-48ae-8202-5accb43efb0e' },
      },
    },
    {
      name: 'reads the path emails[type eq "work"].value of Entra\'s Update User [Multi-valued properties] with the sub-attribute after the bracket',
      text: 'emails[type eq "work"].value',
      expected: {
        attribute: { attribute: 'emails' },
        valueFilter: { op: 'eq', path: { attribute: 'type' }, value: 'work' },
        subAttribute: 'value',
      },
    },
    {
      name: 'reads addresses[type eq "work"].streetAddress',
      text: 'addresses[type eq "work"].streetAddress',
      expected: {
        attribute: { attribute: 'addresses' },
        valueFilter: { op: 'eq', path: { attribute: 'type' }, value: 'work' },
        subAttribute: 'streetAddress',
      },
    },
    {
      name: 'respells the sub-attribute of Entra\'s mapping path emails[type eq "other"].Value',
      text: 'emails[TYPE eq "other"].Value',
      expected: {
        attribute: { attribute: 'emails' },
        valueFilter: { op: 'eq', path: { attribute: 'type' }, value: 'other' },
        subAttribute: 'value',
      },
    },
    {
      name: 'reads the URN-qualified manager path Entra adds a manager with',
      text: `${ENTERPRISE}:manager`,
      expected: { attribute: { schema: ENTERPRISE, attribute: 'manager' } },
    },
    {
      name: "reads Entra's manager[value eq ...] removal on a single-valued attribute",
      text: 'manager[value eq "x"]',
      expected: {
        attribute: { attribute: 'manager' },
        valueFilter: { op: 'eq', path: { attribute: 'value' }, value: 'x' },
      },
    },
    {
      name: 'does not split the URN at a colon inside a quoted filter value',
      text: 'members[value eq "urn:x:y"]',
      expected: {
        attribute: { attribute: 'members' },
        valueFilter: { op: 'eq', path: { attribute: 'value' }, value: 'urn:x:y' },
      },
    },
    {
      name: 'splits a URN-qualified path whose filter value contains colons',
      text: `${ENTERPRISE}:manager[value eq "a:b:c"]`,
      expected: {
        attribute: { schema: ENTERPRISE, attribute: 'manager' },
        valueFilter: { op: 'eq', path: { attribute: 'value' }, value: 'a:b:c' },
      },
    },
    {
      name: 'finds the closing bracket after a quoted value that contains brackets',
      text: 'members[value eq "a]b[c"]',
      expected: {
        attribute: { attribute: 'members' },
        valueFilter: { op: 'eq', path: { attribute: 'value' }, value: 'a]b[c' },
      },
    },
    {
      name: 'reads Entra\'s roles[primary eq "True"].display, keeping the string literal',
      text: 'roles[primary eq "True"].display',
      expected: {
        attribute: { attribute: 'roles' },
        valueFilter: { op: 'eq', path: { attribute: 'primary' }, value: 'True' },
        subAttribute: 'display',
      },
    },
    {
      name: 'reads a logical value filter',
      text: 'members[value eq "a" or value eq "b"]',
      expected: {
        attribute: { attribute: 'members' },
        valueFilter: {
          op: 'or',
          left: { op: 'eq', path: { attribute: 'value' }, value: 'a' },
          right: { op: 'eq', path: { attribute: 'value' }, value: 'b' },
        },
      },
    },
  ])('$name', ({ text, expected }) => {
    expect(parsePatchPath(text)).toStrictEqual(expected);
  });

  it.each<{ name: string; text: string }>([
    { name: 'rejects an empty path', text: '' },
    { name: 'rejects an unclosed bracket', text: 'members[value eq "x"' },
    { name: 'rejects an unterminated string inside the bracket', text: 'members[value eq "x]' },
    { name: 'rejects a value filter without a value', text: 'members[value eq]' },
    { name: 'rejects an empty value filter', text: 'members[]' },
    { name: 'rejects text after the bracket that is not a sub-attribute', text: 'members[value eq "x"]x' },
    { name: 'rejects a dot after the bracket with no name', text: 'emails[type eq "work"].' },
    { name: 'rejects two sub-attributes after the bracket', text: 'emails[type eq "work"].value.x' },
    { name: 'rejects a value filter on a sub-attribute', text: 'name.givenName[value eq "x"]' },
    { name: 'rejects a whole filter given as a path', text: 'members[value eq "x"] and displayName eq "y"' },
    { name: 'rejects a nested value filter', text: 'emails[type[value eq "a"] eq "x"]' },
    { name: 'rejects garbage', text: '%%%' },
  ])('$name, with scimType invalidPath', ({ text }) => {
    const error = scimErrorOf(() => parsePatchPath(text));
    expect(error.status).toBe(400);
    expect(error.scimType).toBe('invalidPath');
  });

  it('names the PATCH path and the position in the message of a bad value filter', () => {
    expect(() => parsePatchPath('members[value equals "x"]')).toThrow(
      /PATCH path 'members\[value equals "x"\]' is invalid: Expected a comparison operator.* at position 15/,
    );
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
