/**
 * The company the 100k benchmark provisions, drawn from a seeded PRNG so that every run pushes the same objects:
 * users with Entra's payload, groups whose sizes are heavy-tailed (Pareto, most 5–200 members, a few thousand), one
 * group holding every user, one user in many groups, and AccessMappings over consecutive slices of the groups.
 */

import { scaled } from '../support/measure.ts';

/** mulberry32: small, fast and good enough to draw sizes and members reproducibly. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Company {
  users: number;
  /** members[g]: indexes of the users in group g; group 0 holds everyone. */
  members: number[][];
  groupNames: string[];
  /** mappings[m]: the group indexes mapping m names. */
  mappings: number[][];
  /** The user who is a member of `manyGroupsCount` groups. */
  manyGroupsUser: number;
  manyGroupsCount: number;
  memberships: number;
}

export const SIZES = {
  users: scaled(100_000, 500),
  groups: scaled(5_000, 20),
  mappings: scaled(500, 5),
  /** The user in the most groups. */
  manyGroups: scaled(500, 5),
  /** The cap of the heavy tail ("a few thousand-member groups"). */
  largestTail: scaled(5_000, 50),
};

/** Pareto(x_m = 5, alpha = 1): median 10, ~2.5 % above 200, ~0.5 % above 1,000; capped. */
function groupSize(random: () => number, cap: number): number {
  return Math.min(cap, Math.floor(5 / (1 - random())));
}

export function buildCompany(seed = 100_000): Company {
  const random = prng(seed);
  const { users, groups, mappings: mappingCount, manyGroups, largestTail } = SIZES;
  const cap = Math.min(largestTail, users);
  const members: number[][] = [Array.from({ length: users }, (_, i) => i)];
  const manyGroupsUser = 1;
  for (let g = 1; g < groups; g++) {
    const size = groupSize(random, cap);
    const chosen = new Set<number>();
    // The user in many groups joins the first `manyGroups` of them.
    if (g <= manyGroups) chosen.add(manyGroupsUser);
    while (chosen.size < size) chosen.add(Math.floor(random() * users));
    members.push([...chosen]);
  }
  const groupNames = Array.from({ length: groups }, (_, g) => (g === 0 ? 'All Staff' : `Team ${g}`));
  const perMapping = Math.max(1, Math.floor(groups / mappingCount));
  const mappings = Array.from({ length: mappingCount }, (_, m) =>
    Array.from({ length: perMapping }, (_, k) => m * perMapping + k).filter((g) => g < groups),
  );
  return {
    users,
    members,
    groupNames,
    mappings,
    manyGroupsUser,
    manyGroupsCount: Math.min(manyGroups, groups - 1),
    memberships: members.reduce((n, m) => n + m.length, 0),
  };
}

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const DEPARTMENTS = ['Engineering', 'Sales', 'Finance', 'Support', 'Marketing', 'Operations', 'Legal', 'People'];

/** What Entra POSTs for a user (docs: idp-behaviour.md, U1). */
export function entraUser(i: number) {
  const given = `Given${i % 977}`;
  const family = `Family${i}`;
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
    externalId: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
    userName: `user${i}@contoso.example`,
    active: true,
    displayName: `${given} ${family}`,
    emails: [{ primary: true, type: 'work', value: `${given}.${family}@contoso.example`.toLowerCase() }],
    name: { formatted: `${given} ${family}`, familyName: family, givenName: given },
    [ENTERPRISE]: { employeeNumber: String(100_000 + i), department: DEPARTMENTS[i % DEPARTMENTS.length] },
  };
}
