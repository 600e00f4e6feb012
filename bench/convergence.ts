/**
 * Convergence after an IdP's initial sync: 100 AccessMappings exist (installed with the chart, as GitOps would),
 * then 10,000 users and 500 groups of 20 arrive through the SCIM endpoint. Measured: the time from the first SCIM
 * request until every mapping is Ready with all its subjects and the controllers have gone quiet, and the API server
 * requests each SCIM change cost (endpoint and controllers together, from the API server's own counter).
 */

import type { KubernetesObject } from '@kubernetes/client-node';
import { createAccessMapping, readyMappings } from './support/access-mappings.ts';
import { apiserverRequests, describeCounts, requestsBetween, total } from './support/apiserver-requests.ts';
import { prepareOperatorIdentity, startBenchCluster, uniqueName } from './support/cluster.ts';
import { elapsedMs, inParallel, log, now, printResults, scaled } from './support/measure.ts';
import { startBenchOperator, waitForIdle } from './support/operator.ts';
import { userAttributes } from './support/seed.ts';

const USERS = scaled(10_000, 500);
const GROUPS = scaled(500, 25);
const MAPPINGS = scaled(100, 5);
const NAMESPACES = 10;
const GROUPS_PER_MAPPING = GROUPS / MAPPINGS;
const MEMBERS_PER_GROUP = USERS / GROUPS;
const CONCURRENCY = 16;
const OUR_RESOURCES = [
  'scimusers',
  'scimgroups',
  'scimgroupmembers',
  'scimclaims',
  'rolebindings',
  'accessmappings',
  'events',
];

const cluster = await startBenchCluster();
try {
  const identity = await prepareOperatorIdentity(cluster);
  const namespaces = await Promise.all(Array.from({ length: NAMESPACES }, () => cluster.createNamespace()));
  const { operator, call } = await startBenchOperator(identity);
  const groupNames = Array.from({ length: GROUPS }, (_, g) => `team-${g}-${uniqueName('g')}`);
  const mappingNames = Array.from({ length: MAPPINGS }, () => uniqueName('mapping'));
  await inParallel(MAPPINGS, 4, (m) =>
    createAccessMapping(cluster.admin, mappingNames[m]!, {
      connection: identity.connection,
      groups: groupNames.slice(m * GROUPS_PER_MAPPING, (m + 1) * GROUPS_PER_MAPPING),
      clusterRole: m % 2 ? 'view' : 'edit',
      namespaces: [namespaces[m % NAMESPACES]!],
    }),
  );
  await waitForIdle(operator, { timeoutMs: 60_000 });

  const writesBefore = operator.controllers.writes.length;
  const counted = await controllerWrites(operator.metricsUrl);
  const served = await apiserverRequests(cluster.admin);
  const started = now();
  const userIds: string[] = new Array(USERS);
  await inParallel(USERS, CONCURRENCY, async (i) => {
    const reply = await call('POST', '/Users', userAttributes('sync', i));
    if (reply.status !== 201) throw new Error(`POST /Users answered ${reply.status}`);
    userIds[i] = reply.body.id;
  });
  const usersSeconds = elapsedMs(started) / 1000;
  log(`${USERS} users posted in ${usersSeconds.toFixed(1)} s`);
  await inParallel(GROUPS, CONCURRENCY / 2, async (g) => {
    const members = userIds.slice(g * MEMBERS_PER_GROUP, (g + 1) * MEMBERS_PER_GROUP).map((value) => ({ value }));
    const reply = await call('POST', '/Groups', { displayName: groupNames[g], members });
    if (reply.status !== 201) throw new Error(`POST /Groups answered ${reply.status}`);
  });
  const loadSeconds = elapsedMs(started) / 1000;
  log(`${GROUPS} groups posted; SCIM load done in ${loadSeconds.toFixed(1)} s`);

  const names = new Set(mappingNames);
  const subjects = GROUPS_PER_MAPPING * MEMBERS_PER_GROUP;
  while (readyMappings(operator, names, subjects) < MAPPINGS) {
    if (elapsedMs(started) > 600_000) throw new Error('mappings not Ready after 600 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  const readySeconds = elapsedMs(started) / 1000;
  log(`all mappings Ready after ${readySeconds.toFixed(1)} s`);
  // Bounded: the status of every granted user is written after the grant, which can take many minutes.
  const settled = await waitForIdle(operator, { timeoutMs: Number(process.env.BENCH_IDLE_TIMEOUT_S ?? 180) * 1000 });
  const startedAt = Date.now() - elapsedMs(started);
  const idleSeconds = Math.max(readySeconds, (settled.lastWrite - startedAt) / 1000);
  const requests = requestsBetween(served, await apiserverRequests(cluster.admin), OUR_RESOURCES);
  const writes = operator.controllers.writes.slice(writesBefore);
  const countedWrites = requestsBetween(counted, await controllerWrites(operator.metricsUrl));
  const bindings = operator.controllers.roleBindings
    .list()
    .filter((rb: KubernetesObject) => mappingNames.some((n) => rb.metadata?.name?.startsWith(`scim:${n}:`)));
  const changes = USERS + GROUPS;

  const controllerRequests = [...requests]
    .filter(([key]) => !/ scim(users|groups|groupmembers|claims)$/.test(key))
    .reduce((n, [, v]) => n + v, 0);
  printResults(
    `Initial sync: ${USERS.toLocaleString('en')} users, ${GROUPS} groups, ${MAPPINGS} mappings, ${CONCURRENCY} SCIM clients`,
    [
      { metric: 'SCIM load (POST /Users, then POST /Groups with members)', measured: `${loadSeconds.toFixed(1)} s` },
      {
        metric: 'first SCIM request -> every mapping Ready with all subjects',
        measured: `${readySeconds.toFixed(1)} s`,
      },
      {
        metric: 'first SCIM request -> controllers idle (last write)',
        measured: settled.idle
          ? `${idleSeconds.toFixed(1)} s (${(idleSeconds - loadSeconds).toFixed(1)} s after the load)`
          : `not idle after ${(elapsedMs(started) / 1000).toFixed(0)} s (still writing; counts below are up to then)`,
      },
      { metric: 'RoleBindings generated', measured: String(bindings.length) },
      {
        metric: 'controller writes per SCIM change',
        measured: `${(writes.length / changes).toFixed(2)} (${writes.length} total)`,
      },
      { metric: 'API requests per SCIM change, all', measured: (total(requests) / changes).toFixed(2) },
      { metric: 'API requests per SCIM change, controllers only', measured: (controllerRequests / changes).toFixed(2) },
      {
        metric: 'controller API writes per SCIM change (scim_operator_controller_api_writes_total)',
        measured: (total(countedWrites) / changes).toFixed(2),
      },
    ],
    [
      `API server requests (non-watch) during the sync: ${describeCounts(requests)}`,
      `Controller writes by verb and resource: ${describeCounts(countedWrites)}`,
    ],
  );
  await operator.stop();
} finally {
  await cluster.stop();
}

/** The operator's own count of its controllers' writes, by `verb resource` (docs/adr/0021-status-writes.md). */
async function controllerWrites(metricsUrl: string): Promise<Map<string, number>> {
  const text = await (await fetch(metricsUrl)).text();
  const counts = new Map<string, number>();
  for (const match of text.matchAll(
    /^scim_operator_controller_api_writes_total\{verb="([^"]*)",resource="([^"]*)"\} (\S+)$/gm,
  ))
    counts.set(`${match[1]} ${match[2]}`, Number(match[3]));
  return counts;
}
