/** Helpers of the PATCH engine's tests: a stored Entra user and group, and PatchOp requests applied as the endpoint does. */

import { expect } from 'vitest';
import type { ScimType } from './errors.ts';
import { ENTERPRISE } from './normalise.test-support.ts';
import { applyPatch, type PatchResult } from './patch.ts';
import { normalisePatchRequest } from './patch-request.ts';
import type { ResourceTypeName } from './schemas.ts';
import { scimErrorOf } from './scim-error-of.test-support.ts';

export { ENTERPRISE, fixture, PATCH_OP, patchBody as body } from './normalise.test-support.ts';

/** Member ids, shaped as the store issues them. */
export const A = '0b7e6a43-5c1d-4f2e-9a8b-000000000001';
export const B = '0b7e6a43-5c1d-4f2e-9a8b-000000000002';

/** Normalises `request` and applies it, as the PATCH endpoint does. */
export function patch(type: ResourceTypeName, resource: Record<string, unknown>, request: unknown): PatchResult {
  return applyPatch(type, resource, normalisePatchRequest(type, request));
}

export function expectScimError(run: () => unknown, scimType: ScimType, detail?: RegExp) {
  const err = scimErrorOf(run);
  expect({ status: err.status, scimType: err.scimType }).toEqual({ status: 400, scimType });
  if (detail) expect(err.message).toMatch(detail);
}

/** A canonical Entra user as stored after its Create User request, with a manager and a second email. */
export function user(): Record<string, unknown> {
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

export function group(): Record<string, unknown> {
  return { id: 'fa2ce26709934589afc5', externalId: '8aa1a0c0', displayName: 'displayName' };
}
