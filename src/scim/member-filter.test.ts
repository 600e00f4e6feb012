import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matchesFilter } from './filter-evaluator.ts';
import { parseFilter } from './filter-parser.ts';
import { memberTests } from './member-filter.ts';

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

describe('memberTests', () => {
  it.each([
    ['displayName eq "x"', { kind: 'none' }],
    [`members eq "${id(1)}"`, { kind: 'ids', ids: [id(1)] }],
    [`members.value eq "${id(1)}" or members[value eq "${id(2)}"]`, { kind: 'ids', ids: [id(1), id(2)] }],
    [`id eq "${id(9)}" and not (members eq "${id(1)}")`, { kind: 'ids', ids: [id(1)] }],
    ['members pr', { kind: 'other' }],
    [`members ne "${id(1)}"`, { kind: 'other' }],
    [`members co "${id(1)}"`, { kind: 'other' }],
    ['members[type eq "User"]', { kind: 'other' }],
    [`members[not (value eq "${id(1)}")]`, { kind: 'other' }],
    [`members.display eq "${id(1)}"`, { kind: 'other' }],
  ])('classifies %s', (text, expected) => {
    expect(memberTests(parseFilter(text))).toEqual(expected);
  });

  /**
   * The contract the listing relies on: for filters whose member tests are id equalities, a group document listing
   * only the named ids it has answers exactly as one listing all its members. Seed 1204, 300 runs.
   */
  it('evaluates id-equality member filters on the named members exactly as on the full member list', () => {
    const ids = fc.integer({ min: 0, max: 7 }).map(id);
    const leaf = fc.oneof(
      ids.map((v) => `members eq "${v}"`),
      ids.map((v) => `members.value eq "${v.toUpperCase()}"`),
      fc
        .array(ids, { minLength: 1, maxLength: 3 })
        .map((vs) => `members[${vs.map((v) => `value eq "${v}"`).join(' or ')}]`),
      fc.constantFrom('displayName eq "Team"', 'displayName eq "Other"'),
    );
    const filters = fc.letrec((tie) => ({
      filter: fc.oneof(
        { depthSize: 'small' },
        leaf,
        fc
          .tuple(tie('filter'), fc.constantFrom(' and ', ' or '), tie('filter'))
          .map(([l, op, r]) => `(${l})${op}(${r})`),
        tie('filter').map((f) => `not (${f})`),
      ),
    })).filter as fc.Arbitrary<string>;
    const memberships = fc.uniqueArray(ids, { maxLength: 8 });

    fc.assert(
      fc.property(filters, memberships, (text, members) => {
        const filter = parseFilter(text, { maxTerms: 100 });
        const tests = memberTests(filter);
        expect(tests.kind).not.toBe('other');
        const named = tests.kind === 'ids' ? new Set(tests.ids.map((v) => v.toLowerCase())) : new Set<string>();
        const group = (list: string[]) => ({ displayName: 'Team', members: list.map((value) => ({ value })) });
        const full = matchesFilter(filter, group(members), 'Group');
        const fromIndex = matchesFilter(filter, group(members.filter((m) => named.has(m))), 'Group');
        expect(fromIndex).toBe(full);
      }),
      { seed: 1204, numRuns: 300 },
    );
  });
});
