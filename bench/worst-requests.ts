/**
 * CPU cost in the pure SCIM core of the most expensive request of each kind at its cap (`limits` in
 * src/scim/schemas.ts), of the hostile requests the review found (which must now be refused cheaply), and, as a
 * baseline in the same run, of the requests Entra ID and Okta send every day. No control plane: the store's work is
 * bounded separately (members per request, groups per page) and counted by src/http/hostile-requests.test.ts.
 * Goal: every request < 50 ms of CPU (process.cpuUsage, user + system, the worst of the measured runs).
 */

import { limits } from '../src/scim/schemas.ts';
import {
  answerOf,
  coreFilter,
  corePatch,
  coreProjection,
  filterAtCaps,
  filterOverCap,
  fullUser,
  groupPatchAtCaps,
  groupPostAtCaps,
  groupPostOverCap,
  normaliseResource,
  projectionAtCaps,
  userDocuments,
  userPatchAtCaps,
  userPatchOverCap,
  userPostAtCaps,
} from '../src/scim/worst-requests.test-support.ts';
import { log, printResults, scaled } from './support/measure.ts';

const RUNS = scaled(20, 5);
const WARMUP = 3;
const GOAL_MS = 50;
/** Documents a listing projects: one full page. */
const PAGE = limits.maxResults;
/**
 * Documents a filter no index answers is evaluated against: every cached resource of the connection, so no cap
 * applies; its cost is reported per 1,000 (linear beyond).
 */
const CANDIDATES = 1000;

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const documents = userDocuments(CANDIDATES);
const page = documents.slice(0, PAGE);

interface Case {
  name: string;
  kind: 'baseline' | 'at cap' | 'refused';
  /** The request body's size as JSON, where there is one. */
  body?: unknown;
  run: () => unknown;
}

const cases: Case[] = [
  {
    name: 'Entra disable PATCH (active "False")',
    kind: 'baseline',
    body: { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] },
    run() {
      corePatch('User', fullUser(), this.body);
    },
  },
  {
    name: `Entra filter userName eq, ${CANDIDATES} candidates`,
    kind: 'baseline',
    run: () => coreFilter('userName eq "user-7@example.com"', documents),
  },
  {
    name: `PATCH User, ${limits.maxPatchOperations} ops of ${limits.maxValuesPerAttribute} values`,
    kind: 'at cap',
    body: userPatchAtCaps(),
    run() {
      corePatch('User', fullUser(), this.body);
    },
  },
  {
    name: `PATCH Group, ${limits.maxMembersPerRequest} members by value and filter`,
    kind: 'at cap',
    body: groupPatchAtCaps(),
    run() {
      corePatch('Group', { displayName: 'Worst' }, this.body);
    },
  },
  {
    name: `POST Group, ${limits.maxMembersPerRequest} members`,
    kind: 'at cap',
    body: groupPostAtCaps(),
    run() {
      normaliseResource('Group', this.body);
    },
  },
  {
    name: `POST User, every multi-valued attribute full`,
    kind: 'at cap',
    body: userPostAtCaps(),
    run() {
      normaliseResource('User', this.body);
    },
  },
  {
    name: `filter of ${limits.maxFilterTerms} terms, ${limits.maxFilterLength} chars, ${CANDIDATES} candidates`,
    kind: 'at cap',
    run: () => coreFilter(filterAtCaps(), documents),
  },
  {
    name: `${limits.maxProjectionAttributes} attributes projected on ${PAGE} users`,
    kind: 'at cap',
    run: () => coreProjection(projectionAtCaps(), page),
  },
  {
    name: 'PATCH User, 2 x add roles of 12,000 values (review)',
    kind: 'refused',
    body: userPatchOverCap(),
    run() {
      corePatch('User', fullUser(), this.body);
    },
  },
  {
    name: 'POST Group, 20,000 unknown members (review)',
    kind: 'refused',
    body: groupPostOverCap(),
    run() {
      normaliseResource('Group', this.body);
    },
  },
  {
    name: `filter of ${limits.maxFilterLength} chars, ~450 terms (review)`,
    kind: 'refused',
    run: () => coreFilter(filterOverCap(), documents),
  },
];

function cpuMs(run: () => unknown): { ms: number; answer: string } {
  const before = process.cpuUsage();
  const error = answerOf(run);
  const used = process.cpuUsage(before);
  return { ms: (used.user + used.system) / 1000, answer: error ? `${error.status} ${error.scimType ?? ''}` : 'ok' };
}

const rows = cases.map((c) => {
  const bytes = c.body === undefined ? undefined : Buffer.byteLength(JSON.stringify(c.body));
  if (bytes !== undefined && bytes > limits.maxBodyBytes) throw new Error(`${c.name}: body of ${bytes} bytes`);
  for (let i = 0; i < WARMUP; i++) cpuMs(() => c.run());
  const samples = Array.from({ length: RUNS }, () => cpuMs(() => c.run()));
  const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
  const worst = sorted.at(-1)!;
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const answer = samples[0]!.answer;
  const expected = c.kind === 'refused' ? answer.startsWith('400') : answer === 'ok';
  log(`${c.name}: median ${median.toFixed(2)} ms, worst ${worst.toFixed(2)} ms CPU, answer ${answer}`);
  return {
    metric: `${c.kind}: ${c.name}`,
    goal: c.kind === 'baseline' ? undefined : `< ${GOAL_MS} ms CPU, ${c.kind === 'refused' ? '400' : 'accepted'}`,
    measured: `median ${median.toFixed(2)} ms, worst ${worst.toFixed(2)} ms; ${answer}${bytes ? `; body ${(bytes / 1024).toFixed(0)} KiB` : ''}`,
    met: c.kind === 'baseline' ? undefined : worst < GOAL_MS && expected,
  };
});

printResults('CPU cost of the worst requests in the pure SCIM core', rows, [
  `${RUNS} runs per request after ${WARMUP} warm-up runs; CPU is process.cpuUsage (user + system) around the core call`,
]);
if (rows.some((row) => row.met === false)) process.exitCode = 1;
