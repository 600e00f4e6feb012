import { describe, expect, it } from 'vitest';
import { eq } from './filter-fixtures.test-support.ts';
import { parseFilter } from './filter-parser.ts';
import { limits, USER_SCHEMA } from './schemas.ts';
import { scimErrorOf } from './scim-error-of.test-support.ts';

describe('parseFilter refusals and limits', () => {
  it.each<{ name: string; text: string; message: RegExp }>([
    { name: 'rejects an empty filter', text: '', message: /empty/ },
    { name: 'rejects a filter of spaces only', text: '   ', message: /empty/ },
    {
      name: 'rejects an unknown operator and names the expected operators',
      text: 'userName equals "x"',
      message:
        /Expected a comparison operator \(eq, ne, co, sw, ew, gt, ge, lt, le\) or 'pr' after 'userName' at position 10, found 'equals'/,
    },
    {
      name: 'rejects a missing value',
      text: 'userName eq',
      message: /Expected a value .* at position 12, found the end/,
    },
    { name: 'rejects a missing operator', text: 'userName', message: /comparison operator .* found the end/ },
    { name: 'rejects a bracket as a value', text: 'userName eq )', message: /Expected a value .* position 13/ },
    { name: 'rejects an unterminated string', text: 'userName eq "abc', message: /closing '"'.*position 13/ },
    {
      name: 'rejects a string whose closing quote is escaped',
      text: String.raw`userName eq "abc\"`,
      message: /closing '"'/,
    },
    { name: 'rejects an unclosed parenthesis', text: '(userName eq "a"', message: /Expected 'and', 'or' or '\)'/ },
    {
      name: 'rejects a stray closing parenthesis',
      text: 'userName eq "a")',
      message: /end of the filter at position 16/,
    },
    { name: 'rejects not without parentheses', text: 'not userName eq "a"', message: /Expected '\(' after 'not'/ },
    { name: 'rejects a dangling and', text: 'userName eq "a" and', message: /attribute path .* found the end/ },
    { name: 'rejects a leading or', text: 'or userName eq "a"', message: /comparison operator/ },
    {
      name: 'rejects two values in a row',
      text: 'userName eq "a" "b"',
      message: /Expected 'and', 'or' .* found '"b"'/,
    },
    { name: 'rejects an unknown logical operator', text: 'a eq 1 xor b eq 2', message: /found 'xor'/ },
    { name: 'rejects an attribute name that starts with a digit', text: '1abc eq "x"', message: /attribute path/ },
    { name: 'rejects three-level attribute paths', text: 'a.b.c eq "x"', message: /at most one sub-attribute/ },
    { name: 'rejects a nested value path', text: 'emails[type[value eq "x"] eq "y"]', message: /cannot be nested/ },
    { name: 'rejects a value path on a sub-attribute', text: 'name.givenName[value eq "x"]', message: /sub-attribute/ },
    { name: 'rejects an unclosed value path', text: 'emails[type eq "work"', message: /Expected 'and', 'or' or '\]'/ },
    {
      name: 'rejects a comparison on a value path itself',
      text: 'emails[type eq "work"] eq "x"',
      message: /found 'eq'/,
    },
    { name: 'rejects an empty value path', text: 'emails[]', message: /attribute path .* found '\]'/ },
    { name: 'rejects a closing bracket without an opening one', text: 'emails] eq "x"', message: /position 7/ },
    {
      name: 'rejects a sub-attribute separated from its value path by a space',
      text: 'emails[type eq "work"] .value eq "x"',
      message: /found '\.value'/,
    },
    {
      name: 'rejects an invalid sub-attribute name after a value path',
      text: 'emails[type eq "work"].1x eq "x"',
      message: /sub-attribute name after '\]'/,
    },
    {
      name: 'rejects a value path without a condition after its sub-attribute',
      text: 'emails[type eq "work"].value',
      message: /comparison operator/,
    },
    { name: 'rejects a schema URN used as an attribute', text: `${USER_SCHEMA} eq "x"`, message: /names a schema/ },
  ])('$name, with scimType invalidFilter', ({ text, message }) => {
    const error = scimErrorOf(() => parseFilter(text));
    expect(error.status).toBe(400);
    expect(error.scimType).toBe('invalidFilter');
    expect(error.message).toMatch(message);
  });

  const nested = (depth: number) => `${'('.repeat(depth)}userName eq "a"${')'.repeat(depth)}`;

  it(`accepts nesting up to limits.maxFilterDepth (${limits.maxFilterDepth}) levels`, () => {
    expect(parseFilter(nested(limits.maxFilterDepth))).toStrictEqual(eq('userName', 'a'));
  });

  it('rejects nesting one level deeper than limits.maxFilterDepth with invalidFilter', () => {
    const error = scimErrorOf(() => parseFilter(nested(limits.maxFilterDepth + 1)));
    expect(error.scimType).toBe('invalidFilter');
    expect(error.message).toMatch(
      `deeper than ${limits.maxFilterDepth} levels at position ${limits.maxFilterDepth + 1}`,
    );
  });

  it('counts not groups and value paths towards the depth limit', () => {
    expect(() => parseFilter('not (emails[type eq "work"])', { maxDepth: 2 })).not.toThrow();
    expect(() => parseFilter('not (emails[type eq "work"])', { maxDepth: 1 })).toThrow(/deeper than 1 levels/);
  });

  it('rejects a thousand nested not groups without overflowing the stack', () => {
    const text = `${'not ('.repeat(1000)}a pr${')'.repeat(1000)}`;
    expect(scimErrorOf(() => parseFilter(text)).scimType).toBe('invalidFilter');
  });

  it('accepts a filter exactly limits.maxFilterLength characters long', () => {
    const prefix = 'userName eq "';
    const text = `${prefix}${'a'.repeat(limits.maxFilterLength - prefix.length - 1)}"`;
    expect(text).toHaveLength(limits.maxFilterLength);
    expect(() => parseFilter(text)).not.toThrow();
  });

  it('rejects a filter longer than limits.maxFilterLength with invalidFilter', () => {
    const text = `userName eq "${'a'.repeat(limits.maxFilterLength)}"`;
    const error = scimErrorOf(() => parseFilter(text));
    expect(error.scimType).toBe('invalidFilter');
    expect(error.message).toMatch(`at most ${limits.maxFilterLength}`);
  });

  it('applies a maxLength given as an option', () => {
    expect(() => parseFilter('userName eq "abc"', { maxLength: 10 })).toThrow(/17 characters long; at most 10/);
  });

  it('accepts a chain of limits.maxFilterTerms terms without a depth error, since it is not nesting', () => {
    const text = Array.from({ length: limits.maxFilterTerms }, (_, i) => `a${i} eq ${i}`).join(' and ');
    expect(parseFilter(text).op).toBe('and');
  });

  it('rejects one term more than limits.maxFilterTerms with invalidFilter naming the cap', () => {
    const text = Array.from({ length: limits.maxFilterTerms + 1 }, (_, i) => `a${i} pr`).join(' or ');
    const error = scimErrorOf(() => parseFilter(text));
    expect(error.scimType).toBe('invalidFilter');
    expect(error.message).toContain(`more than ${limits.maxFilterTerms} comparisons (maxFilterTerms)`);
  });
});
