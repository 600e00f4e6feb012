import { describe, expect, it } from 'vitest';
import { expectScimError, fixture, PATCH_OP, patchBody } from './normalise.test-support.ts';
import { normalisePatchRequest } from './patch-request.ts';
import { limits } from './schemas.ts';

describe('normalisePatchRequest refusals', () => {
  it.each([
    ['a string for active', { op: 'replace', path: 'active', value: 'yes' }, /'active' must be a boolean/],
    ['a number for userName', { op: 'replace', path: 'userName', value: 5 }, /'userName' must be a string/],
    ['a string for emails', { op: 'add', path: 'emails', value: 'a@example.com' }, /'emails' must be an array/],
  ])('rejects %s with invalidValue', (_case, operation, detail) => {
    expectScimError(() => normalisePatchRequest('User', patchBody(operation)), 400, 'invalidValue', detail);
  });

  it('rejects remove without a path with noTarget', () => {
    expectScimError(() => normalisePatchRequest('User', patchBody({ op: 'remove' })), 400, 'noTarget');
  });

  it.each([
    ['add', { op: 'add', path: 'title' }],
    ['replace', { op: 'replace', path: 'title' }],
  ])('rejects %s without a value member with invalidSyntax', (_op, operation) => {
    expectScimError(
      () => normalisePatchRequest('User', patchBody(operation)),
      400,
      'invalidSyntax',
      /requires a value/,
    );
  });

  it.each([
    ['an unknown op', { op: 'move', path: 'title', value: 'x' }],
    ['a missing op', { path: 'title', value: 'x' }],
    ['an operation that is not an object', 'replace title'],
  ])('rejects %s with invalidSyntax instead of succeeding silently', (_case, operation) => {
    expectScimError(() => normalisePatchRequest('User', patchBody(operation)), 400, 'invalidSyntax');
  });

  it.each([
    ['a body that is not an object', []],
    ['a missing Operations', { schemas: [PATCH_OP] }],
    ['an empty Operations', { schemas: [PATCH_OP], Operations: [] }],
    ['an Operations that is not an array', { schemas: [PATCH_OP], Operations: { op: 'add' } }],
    [
      'a wrong schema URN',
      {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        Operations: [{ op: 'add', path: 'title', value: 'x' }],
      },
    ],
  ])('rejects %s with invalidSyntax', (_case, body) => {
    expectScimError(() => normalisePatchRequest('User', body), 400, 'invalidSyntax');
  });

  it("tolerates a PatchOp without schemas, as in Okta's group rename", () => {
    expect(normalisePatchRequest('Group', fixture('okta/group-patch-rename'))).toEqual([
      { op: 'replace', value: { displayName: 'Test SCIMv2' }, expectId: 'abf4dd94-a4c0-4f67-89c9-76b03340cb9b' },
    ]);
  });

  it('accepts the Operations key in any case', () => {
    expect(normalisePatchRequest('User', { operations: [{ op: 'add', path: 'title', value: 'x' }] })).toHaveLength(1);
  });

  it('rejects more than limits.maxPatchOperations operations with 400 tooMany naming the cap', () => {
    const operations = Array.from({ length: limits.maxPatchOperations + 1 }, () => ({
      op: 'add',
      path: 'title',
      value: 'x',
    }));
    expectScimError(() => normalisePatchRequest('User', patchBody(...operations)), 400, 'tooMany');
  });
});
