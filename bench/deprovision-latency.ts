/**
 * Deprovisioning latency with the operator in-process: 10,000 users stored, all members of one group that an
 * AccessMapping grants `edit` in a namespace. For each sampled user, the clock starts when the response to Entra's
 * `PATCH active "False"` arrives and stops when a SubjectAccessReview for that user is denied; the review is
 * repeated back to back, so the stop time is at most one review late. Goal: p99 < 1 s.
 */

import { createAccessMapping, readyMappings } from './support/access-mappings.ts';
import { apiserverRequests, describeCounts, requestsBetween, total } from './support/apiserver-requests.ts';
import { prepareOperatorIdentity, startBenchCluster, uniqueName } from './support/cluster.ts';
import { elapsedMs, latencySummary, log, now, percentile, printResults, scaled } from './support/measure.ts';
import { startBenchOperator, waitForIdle } from './support/operator.ts';
import { seedUsers } from './support/seed.ts';

const USERS = scaled(10_000, 500);
const SAMPLES = scaled(50, 20);
const PER_PATCH = 1000;
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const RBAC_RESOURCES = ['scimusers', 'scimgroups', 'scimgroupmembers', 'scimclaims', 'rolebindings', 'accessmappings'];

const cluster = await startBenchCluster();
try {
  const identity = await prepareOperatorIdentity(cluster);
  const namespace = await cluster.createNamespace(uniqueName('team'));
  let started = now();
  const users = await seedUsers(identity.kc, identity.connection, USERS, 'staff');
  log(`seeded ${USERS} users in ${(elapsedMs(started) / 1000).toFixed(1)} s`);
  const { operator, call } = await startBenchOperator(identity);

  const displayName = uniqueName('Engineering');
  const group = await call('POST', '/Groups', { displayName });
  if (group.status !== 201) throw new Error(`POST /Groups answered ${group.status}`);
  for (let start = 0; start < users.length; start += PER_PATCH) {
    const value = users.slice(start, start + PER_PATCH).map((u) => ({ value: u.id }));
    const reply = await call('PATCH', `/Groups/${group.body.id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'add', path: 'members', value }],
    });
    if (reply.status !== 204) throw new Error(`PATCH /Groups answered ${reply.status}`);
  }
  const mapping = uniqueName('engineering-edit');
  started = now();
  await createAccessMapping(cluster.admin, mapping, {
    connection: identity.connection,
    groups: [displayName],
    clusterRole: 'edit',
    namespaces: [namespace],
  });
  const sampled = Array.from({ length: SAMPLES }, (_, i) => users[Math.floor((i * users.length) / SAMPLES)]!);
  const can = (userName: string) => cluster.subjectCan(userName, 'create', 'configmaps', namespace);
  while (readyMappings(operator, new Set([mapping])) === 0 || !(await can(sampled.at(-1)!.userName))) {
    await new Promise((r) => setTimeout(r, 20));
  }
  const grantSeconds = elapsedMs(started) / 1000;
  // After a grant the identity-status controller writes every member's status; that backlog is not waited out
  // (it takes minutes for 10,000 users), so deprovisioning is measured while it drains, as it would be in a cluster.
  const writesAtGrant = operator.controllers.writes.length;
  const settled = await waitForIdle(operator, { timeoutMs: 30_000 });
  const backlog = settled.idle
    ? 'the controllers were idle before the first sample'
    : `the controllers were still writing (status of granted users) ${(elapsedMs(started) / 1000 - grantSeconds).toFixed(0)} s after the grant, ${operator.controllers.writes.length - writesAtGrant} writes in that time; samples ran while that backlog drained`;
  for (const user of sampled) if (!(await can(user.userName))) throw new Error(`${user.userName} has no access`);
  log(`mapping Ready and access granted to ${USERS} members in ${grantSeconds.toFixed(1)} s`);

  const latencies: number[] = [];
  const reviews: number[] = [];
  const patchTimes: number[] = [];
  const writesBefore = operator.controllers.writes.length;
  const served = await apiserverRequests(cluster.admin);
  for (const user of sampled) {
    const sent = now();
    const reply = await call('PATCH', `/Users/${user.id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
    });
    const acknowledged = now();
    if (reply.status !== 200 || reply.body.active !== false) throw new Error(`PATCH /Users answered ${reply.status}`);
    patchTimes.push(elapsedMs(sent));
    let count = 0;
    while (await can(user.userName)) {
      count++;
      if (elapsedMs(acknowledged) > 60_000) throw new Error(`${user.userName} kept access for 60 s`);
    }
    latencies.push(elapsedMs(acknowledged));
    reviews.push(count + 1);
  }
  await waitForIdle(operator, { timeoutMs: 5000 });
  const requests = requestsBetween(served, await apiserverRequests(cluster.admin), RBAC_RESOURCES);
  const writes = operator.controllers.writes.slice(writesBefore);
  log(`deprovision: ${latencySummary(latencies)}`);

  printResults(
    `Deprovisioning with ${USERS.toLocaleString('en')} users in one mapped group, sequential`,
    [
      {
        metric: 'PATCH active "False" acknowledged -> SubjectAccessReview denies',
        goal: 'p99 < 1 s',
        measured: latencySummary(latencies),
        met: percentile(latencies, 99) < 1000,
      },
      { metric: 'PATCH /Users response time', measured: latencySummary(patchTimes) },
      { metric: 'SubjectAccessReviews per sample (poll resolution)', measured: `median ${percentile(reviews, 50)}` },
      {
        metric: 'controller writes during the samples, per deprovision',
        measured: `${(writes.length / SAMPLES).toFixed(1)} (${describeVerbs(writes)})`,
      },
      {
        metric: 'API requests during the samples, per deprovision (endpoint + controllers)',
        measured: `${(total(requests) / SAMPLES).toFixed(1)}`,
      },
      { metric: 'initial grant to all members (mapping created -> Ready)', measured: `${grantSeconds.toFixed(1)} s` },
    ],
    [backlog, `API server requests while deprovisioning: ${describeCounts(requests)}`],
  );
  await operator.stop();
} finally {
  await cluster.stop();
}

function describeVerbs(writes: { verb: string; target: string }[]): string {
  const counts = new Map<string, number>();
  for (const { verb, target } of writes) {
    const key = `${verb} ${target.split('/')[0]}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([key, value]) => `${key} ${value}`).join(', ');
}
