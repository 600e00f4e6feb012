/** Helpers of the normaliser's tests: Entra and Okta request fixtures, PatchOp bodies, error checks. */

import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { ScimType } from './errors.ts';
import type { PatchOperation } from './patch-operation.ts';
import { ENTERPRISE_USER_SCHEMA } from './schemas.ts';
import { scimErrorOf } from './scim-error-of.test-support.ts';

export const ENTERPRISE = ENTERPRISE_USER_SCHEMA;
export const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** A request body from `test/fixtures/`, where each IdP's requests are kept as they send them. */
export function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`../../test/fixtures/${name}.json`, import.meta.url), 'utf8'));
}

export function patchBody(...operations: unknown[]) {
  return { schemas: [PATCH_OP], Operations: operations };
}

/** Operations without their parsed filters, which are compared separately where they matter. */
export function withoutFilters(operations: PatchOperation[]): Record<string, unknown>[] {
  return operations.map(({ path, ...rest }) => {
    if (!path) return rest;
    const { valueFilter, ...restOfPath } = path;
    return { ...rest, path: valueFilter ? { ...restOfPath, filtered: true } : restOfPath };
  });
}

export function expectScimError(run: () => unknown, status: number, scimType: ScimType | undefined, detail?: RegExp) {
  const err = scimErrorOf(run);
  expect({ status: err.status, scimType: err.scimType }).toEqual({ status, scimType });
  if (detail) expect(err.message).toMatch(detail);
}
