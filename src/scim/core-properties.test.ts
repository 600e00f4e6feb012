/**
 * Property tests of the pure SCIM core with fast-check: the filter parser and evaluator, the normaliser and the
 * PATCH engine, fed generated input up to the caps in `limits`. For every input they throw nothing but a ScimError,
 * give the same answer twice, never change their input, and finish within a bounded CPU time; PATCH operations
 * round-trip (add then remove of the same value gives back the original).
 *
 * Runs are reproducible: each property has a fixed seed and a bounded number of runs, listed here and passed to
 * `fc.assert` below. A failure prints its counterexample and path; re-run with the same seed to replay it.
 *
 * | property                                         | seed       | runs |
 * | ------------------------------------------------ | ---------- | ---- |
 * | parseFilter on arbitrary text                    | 20261205   | 300  |
 * | parseFilter, planQuery, matchesFilter on grammar | 7644       | 300  |
 * | normaliseResource on arbitrary bodies            | 7643       | 300  |
 * | normalisePatchRequest and applyPatch             | 3523       | 300  |
 * | add then remove round-trips                      | 42         | 200  |
 * | replace then replace back round-trips            | 1999       | 200  |
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ScimError } from './errors.ts';
import { matchesFilter } from './filter-evaluator.ts';
import { parseFilter } from './filter-parser.ts';
import { planQuery } from './filter-planner.ts';
import { normaliseResource } from './normalise-resource.ts';
import { applyPatch } from './patch.ts';
import { normalisePatchRequest } from './patch-request.ts';
import { buildResourceDocument } from './resource-document.ts';
import { ENTERPRISE_USER_SCHEMA, limits } from './schemas.ts';
import { bodies, grammarFilters, mangledFilters, patchBodies, types } from './scim-arbitraries.test-support.ts';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
/** CPU budget of one core call on generated input; the worst cases at the caps cost ~20 ms (bench/worst-requests). */
const CPU_BUDGET_MS = 100;

/**
 * What the core answered: a value, or the ScimError it threw (as status, scimType and message, so two answers
 * compare). Anything else thrown fails the property, with the input as counterexample.
 */
function answer<T>(run: () => T): { ok: T } | { error: string } {
  try {
    return { ok: run() };
  } catch (err) {
    if (err instanceof ScimError) return { error: `${err.status} ${err.scimType ?? ''} ${err.message}` };
    throw err;
  }
}

/** `run`'s answer, checked to be the same twice over and to have cost less than the budget in CPU time. */
function steadyAnswer<T>(run: () => T): { ok: T } | { error: string } {
  const before = process.threadCpuUsage();
  const first = answer(run);
  const used = process.threadCpuUsage(before);
  expect((used.user + used.system) / 1000).toBeLessThan(CPU_BUDGET_MS);
  expect(answer(run)).toStrictEqual(first);
  return first;
}

function storedUser(): Record<string, unknown> {
  return {
    userName: 'ada@example.com',
    displayName: 'Ada Lovelace',
    title: 'Countess',
    active: true,
    emails: [{ value: 'ada@example.com', type: 'work', primary: true }],
    roles: [{ value: 'admin' }],
    [ENTERPRISE_USER_SCHEMA]: { department: 'Analytics', manager: { value: '2441309d-8532-4e77-93ae-2441309d8532' } },
  };
}

const userDocument = buildResourceDocument(
  'User',
  {
    id: '5d3f0c1e-2b4a-4c6d-8e9f-0a1b2c3d4e5f',
    version: '1',
    created: '2026-01-01T00:00:00Z',
    lastModified: '2026-06-01T00:00:00Z',
    attributes: storedUser(),
  },
  { baseUrl: 'https://scim.example.test/scim/v2', groups: [] },
);

describe('the filter parser and evaluator on generated input', () => {
  it('answer arbitrary text up to maxFilterLength with a filter or a ScimError, the same twice, quickly', () => {
    const text = fc.oneof(fc.string({ maxLength: 200 }), fc.string({ maxLength: limits.maxFilterLength + 10 }));
    fc.assert(
      fc.property(text, (filter) => {
        steadyAnswer(() => parseFilter(filter));
      }),
      { seed: 20261205, numRuns: 300 },
    );
  });

  it('parse, plan and evaluate grammar-shaped and mangled filters with only ScimErrors, the same twice, quickly', () => {
    fc.assert(
      fc.property(fc.oneof(grammarFilters, mangledFilters), types, (filter, type) => {
        const parsed = steadyAnswer(() => parseFilter(filter));
        if (!('ok' in parsed)) return;
        steadyAnswer(() => planQuery(parsed.ok, type));
        steadyAnswer(() => matchesFilter(parsed.ok, userDocument, type));
      }),
      { seed: 7644, numRuns: 300 },
    );
  });
});

describe('the normaliser on generated bodies', () => {
  it('answers any body with a canonical resource or a ScimError, the same twice, without changing the body', () => {
    fc.assert(
      fc.property(bodies, types, (body, type) => {
        const before = structuredClone(body);
        const result = steadyAnswer(() => normaliseResource(type, body));
        // toEqual: generated objects may have a null prototype, which structuredClone does not keep.
        expect(body).toEqual(before);
        // Canonical output is a fixed point: normalising it again gives it back.
        if ('ok' in result && type === 'User') expect(normaliseResource(type, result.ok)).toStrictEqual(result.ok);
      }),
      { seed: 7643, numRuns: 300 },
    );
  });
});

describe('the PATCH engine on generated requests', () => {
  it('applies or refuses any PatchOp body with only ScimErrors, the same twice, never changing its input', () => {
    fc.assert(
      fc.property(patchBodies, types, (body, type) => {
        const resource = type === 'User' ? storedUser() : { displayName: 'Team' };
        const before = structuredClone(resource);
        const operations = steadyAnswer(() => normalisePatchRequest(type, body));
        if (!('ok' in operations)) return;
        steadyAnswer(() => applyPatch(type, resource, operations.ok, '5d3f0c1e-2b4a-4c6d-8e9f-0a1b2c3d4e5f'));
        expect(resource).toEqual(before);
      }),
      { seed: 3523, numRuns: 300 },
    );
  });

  const patch = (resource: Record<string, unknown>, ...operations: unknown[]) =>
    applyPatch('User', resource, normalisePatchRequest('User', { schemas: [PATCH_OP], Operations: operations }))
      .resource;
  const roleValue = fc.string({ minLength: 1, maxLength: 30 }).filter((v) => v.trim() !== '' && v !== 'admin');

  it('gives back the original after adding a role and removing it by a value filter', () => {
    fc.assert(
      fc.property(roleValue, (value) => {
        const added = patch(storedUser(), { op: 'add', path: 'roles', value: [{ value }] });
        expect(added.roles).toContainEqual({ value });
        const filter = `roles[value eq ${JSON.stringify(value)}]`;
        expect(patch(added, { op: 'remove', path: filter })).toStrictEqual(storedUser());
        // Both in one request, too: operations apply in order.
        const both = patch(
          storedUser(),
          { op: 'add', path: 'roles', value: [{ value }] },
          { op: 'remove', path: filter },
        );
        expect(both).toStrictEqual(storedUser());
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it('gives back the original after replacing an attribute and replacing it back', () => {
    const attributes = fc.constantFrom('title', 'displayName', 'nickName', 'name.givenName', 'active', 'roles');
    const values = fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.boolean());
    fc.assert(
      fc.property(attributes, values, (path, raw) => {
        const original = storedUser();
        const value = path === 'active' ? raw === true : path === 'roles' ? [{ value: String(raw) }] : String(raw);
        const changed = answer(() => patch(original, { op: 'replace', path, value }));
        if (!('ok' in changed)) return;
        const [name, sub] = path.split('.');
        const previous = sub ? undefined : original[name!];
        const restore =
          previous === undefined ? { op: 'remove', path } : { op: 'replace', path, value: previous as unknown };
        expect(patch(changed.ok, restore)).toStrictEqual(original);
      }),
      { seed: 1999, numRuns: 200 },
    );
  });
});
