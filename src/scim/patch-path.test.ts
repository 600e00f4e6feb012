import { describe, expect, it } from 'vitest';
import { type PatchPath, parsePatchPath } from './patch-path.ts';
import { ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA } from './schemas.ts';
import { scimErrorOf } from './scim-error-of.test-support.ts';

const ENTERPRISE = ENTERPRISE_USER_SCHEMA;

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
