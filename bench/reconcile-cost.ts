/**
 * The pure work of one RoleBindings reconcile for a mapping whose group has BENCH_MEMBERS members (default 100,000),
 * with no API server: what a revocation pays before its first write. The mapping binds `edit` in one namespace, so
 * the group's subjects fill ~128 binding shards of <= 1,000. Each phase is timed over BENCH_ROUNDS rounds (default 5)
 * after one warm-up; the figures are medians of the process's CPU time. Run: `npx node bench/reconcile-cost.ts`.
 *
 * Phases: resolving the selection and subjects (`desiredRoleBindings` as a whole, then `shardSubjects` alone on the
 * same subjects), comparing each desired shard with the cached one (`sameBinding`), and the status list
 * (`listedBindings`); then the same reconcile after one member is deactivated.
 */

import os from 'node:os';
import type { ScimGroup } from '../src/api/scim-group.ts';
import type { ScimUser } from '../src/api/scim-user.ts';
import { sameBinding } from '../src/controllers/role-bindings/binding-diff.ts';
import { listedBindings } from '../src/controllers/role-bindings/binding-summary.ts';
import { desiredRoleBindings, shardSubjects } from '../src/controllers/role-bindings/desired-role-bindings.ts';
import type { IdentityView } from '../src/controllers/selection/identity-view.ts';
import { parseSettings } from '../src/settings.ts';

const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const settings = parseSettings('');
const connection = 'entra';
const labels = { 'scim-operator.dev/connection': connection };

const users = new Map<string, ScimUser>();
for (let i = 0; i < MEMBERS; i++) {
  // Ids in another order than userNames, as with the IdP's UUIDs: the subjects' sort does real work.
  const id = `u-${((i * 7919) % MEMBERS).toString().padStart(6, '0')}-${i}`;
  users.set(id, {
    apiVersion: 'scim-operator.dev/v1alpha1',
    kind: 'ScimUser',
    metadata: { name: id, labels },
    spec: { userName: `user${i}@example.com`, active: true },
  });
}
const staff: ScimGroup = {
  apiVersion: 'scim-operator.dev/v1alpha1',
  kind: 'ScimGroup',
  metadata: { name: 'g-all-staff', labels },
  spec: { displayName: 'All Staff' },
};
const memberIds = [...users.keys()];
/** What IdentityCache answers, from plain maps (its indexes are maps too). */
const view: IdentityView = {
  user: (id) => users.get(id),
  usersByUserName: () => [],
  groupsByDisplayName: (name) => (name.toLowerCase() === 'all staff' ? [staff] : []),
  groupsByExternalId: () => [],
  membersOf: (id) => (id === staff.metadata.name ? memberIds : []),
  subjectOf: (id) => {
    const user = users.get(id);
    return user ? { ok: true, name: user.spec.userName } : { ok: false, reason: 'NotFound', message: id };
  },
};
const mapping = {
  apiVersion: 'scim-operator.dev/v1alpha1',
  kind: 'AccessMapping',
  metadata: { name: 'mapping-0', uid: 'uid-mapping-0' },
  spec: {
    connection,
    subjects: { groups: [{ displayName: 'All Staff' }] },
    roleBindings: [{ clusterRole: 'edit', namespaces: ['team-0'] }],
  },
};
const input = () => ({
  mapping,
  identities: view,
  namespaces: [{ name: 'team-0', labels: {} }],
  settings,
  now: new Date(),
});

function time<T>(rounds: number, run: () => T): { ms: number; result: T } {
  let result = run();
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    // CPU time, not wall time: the machine is shared, and this is about the work, not the wait for a core.
    const started = process.cpuUsage();
    result = run();
    const used = process.cpuUsage(started);
    samples.push((used.user + used.system) / 1000);
  }
  samples.sort((a, b) => a - b);
  return { ms: samples[Math.floor(samples.length / 2)]!, result };
}

const rows: [string, number][] = [];
const desired = time(ROUNDS, () => desiredRoleBindings(input()));
rows.push(['desiredRoleBindings (selection, subjects, sort, shards)', desired.ms]);
const subjects = desired.result.roleBindings.flatMap((b) => b.subjects ?? []);
rows.push([
  'shardSubjects alone',
  time(ROUNDS, () => shardSubjects(subjects, settings.bindings.maxSubjectsPerBinding)).ms,
]);
// The cache holds what the last apply wrote: the same bindings, as separate objects.
const cached = structuredClone(desired.result.roleBindings);
rows.push([
  'compare every shard with the cache (sameBinding)',
  time(ROUNDS, () => desired.result.roleBindings.filter((b, i) => !sameBinding(cached[i]!, b)).length).ms,
]);
rows.push(['status list (listedBindings)', time(ROUNDS, () => listedBindings(desired.result)).ms]);

const deactivated = users.get(memberIds[MEMBERS / 2]!)!;
users.set(deactivated.metadata.name, { ...deactivated, spec: { ...deactivated.spec, active: false } });
const after = time(ROUNDS, () => desiredRoleBindings(input()));
const changed = after.result.roleBindings.filter((b, i) => !sameBinding(cached[i]!, b));
rows.push(['desiredRoleBindings after one member is deactivated', after.ms]);

console.log(
  `\n#### One RoleBindings reconcile's pure work, ${MEMBERS.toLocaleString('en')} members, ${desired.result.roleBindings.length} shards (median of ${ROUNDS}; load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ')})\n`,
);
console.log('| phase | CPU ms |\n| --- | --- |');
for (const [phase, ms] of rows) console.log(`| ${phase} | ${ms.toFixed(1)} |`);
console.log(
  `\nshards that differ after the deactivation: ${changed.length} (${changed.map((b) => b.metadata?.name).join(', ')})`,
);
