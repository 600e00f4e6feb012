/**
 * `npm run bench:100k`: a company of 100,000 users and 5,000 groups provisioned through SCIM in Entra's order, with
 * 500 AccessMappings, against the operator running as its own process; then the same objects written raw, lookups,
 * member changes and deprovisioning at that size, and the same requests against peer SCIM servers (SCIMMY, scim2-server)
 * seeded with 1,000 / 10,000 / 100,000 users. BENCH_SCALE multiplies every size; BENCH_PEERS=0 skips the peers, and
 * BENCH_PEERS=only runs only the side-by-side table, with our operator seeded raw at every size.
 * The operator's heap is capped as the chart runs it at the company's size (the chart README's memory limit, of which
 * the image gives V8 75%); BENCH_OPERATOR_MEMORY_MIB=<MiB> sets another limit, =none runs it uncapped.
 * etcd's space quota is 8 GiB from BENCH_SCALE=0.5 up (BENCH_ETCD_QUOTA_GIB sets another): the full size grows etcd's
 * file past its default 2 GiB (docs/benchmarks.md; the symptom and its recovery are in docs/troubleshooting.md).
 * Progress on stderr, markdown tables on stdout. About an hour on 2 cores at BENCH_SCALE=1 (62 minutes, peers
 * included, on 2026-12-05).
 */

import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type LoadTarget, type Measured, measureTarget } from './peers/compare.ts';
import { etcdDbBytes, largestObject, readyMappings, untilWritesStop } from './scale-100k/cluster-figures.ts';
import { buildCompany, entraUser } from './scale-100k/dataset.ts';
import {
  measureOursSeeded,
  measurePeers,
  PEER_CONCURRENCY,
  peerDurationMs,
  printPeerTable,
  SMALLER_PEER_SIZES,
} from './scale-100k/peer-runs.ts';
import { deprovisionProbes, lookupProbes, memberProbes } from './scale-100k/probes.ts';
import { writeRawFloor } from './scale-100k/raw-floor.ts';
import { printFullSize, printSteady, printSync } from './scale-100k/report.ts';
import { retryingCall } from './scale-100k/retrying-call.ts';
import { planSteadyLoad, steadyLoad } from './scale-100k/steady-load.ts';
import { MEMBER_BATCH, pushCompany, type SyncResult } from './scale-100k/sync.ts';
import { createAccessMapping } from './support/access-mappings.ts';
import { apiserverRequests, requestsBetween, total } from './support/apiserver-requests.ts';
import { describeHeapCap, operatorMemoryLimitMiB } from './support/chart-memory.ts';
import { prepareOperatorIdentity, startBenchCluster } from './support/cluster.ts';
import { scimClient } from './support/endpoint.ts';
import {
  benchScale,
  inParallel,
  latencySummary,
  log,
  printResults,
  type ResultRow,
  scaled,
} from './support/measure.ts';
import { sampleMemory, startOperatorProcess } from './support/operator-process.ts';

const CONCURRENCY = 16;
const NAMESPACES = 10;
const PROBES = scaled(200, 50);
const DEPROVISIONS = scaled(50, 20);
const QUIET_MS = Number(process.env.BENCH_QUIET_S ?? 10) * 1000;
const IDLE_TIMEOUT_MS = Number(process.env.BENCH_IDLE_TIMEOUT_S ?? 900) * 1000;
const RAW_FRACTION = Number(process.env.BENCH_RAW_FRACTION ?? Math.min(1, 0.2 / benchScale));
const PEERS = process.env.BENCH_PEERS !== '0';
const PEERS_ONLY = process.env.BENCH_PEERS === 'only';
const STEADY_CHANGES = scaled(2000, 500);
const ETCD_QUOTA_GIB = benchScale >= 0.5 ? 8 : undefined;
const STEADY_CONCURRENCY = 4;
/** The resources the controllers' write counter names, for the steady phase's breakdown. */
const CONTROLLER_WRITE_RESOURCES = [
  'scimusers/status',
  'scimgroups/status',
  'accessmappings/status',
  'rolebindings',
  'clusterrolebindings',
  'events',
  'scimusers',
];
/** What the operator and its controllers touch; other requests (the benchmark's own reviews) are left out. */
const OUR_RESOURCES = [
  'scimusers',
  'scimgroups',
  'scimgroupmembers',
  'scimclaims',
  'rolebindings',
  'clusterrolebindings',
  'accessmappings',
  'events',
  'leases',
];
/** Whose writes mean the controllers are still at work: the Lease is renewed every few seconds whatever happens. */
const CONTROLLER_WRITES = OUR_RESOURCES.filter((r) => r !== 'leases');

const runStarted = Date.now();
const company = buildCompany();
log(
  `company: ${company.users} users, ${company.members.length} groups (${company.memberships} memberships, largest ${company.members[0]!.length}, user ${company.manyGroupsUser} in ${company.manyGroupsCount + 1}), ${company.mappings.length} mappings; member PATCHes of ${MEMBER_BATCH}`,
);
const logDir = await mkdtemp(path.join(os.tmpdir(), 'bench-100k-'));

if (PEERS_ONLY) {
  const measured = await measureOursSeeded(logDir, [...SMALLER_PEER_SIZES, company.users]);
  printPeerTable([...measured, ...(await measurePeers(company.users))], true);
  log(`bench:100k (peers only) done in ${((Date.now() - runStarted) / 60_000).toFixed(1)} min`);
  process.exit(0);
}

const cluster = await startBenchCluster({ etcdQuotaGiB: ETCD_QUOTA_GIB });
const compared: Measured[] = [];
let sync: SyncResult;
try {
  const identity = await prepareOperatorIdentity(cluster);
  const namespaces = await Promise.all(
    Array.from({ length: NAMESPACES }, (_, n) => cluster.createNamespace(`team-${n}`)),
  );
  const operator = await startOperatorProcess(identity, logDir, {
    memoryLimitMiB: operatorMemoryLimitMiB(company.users),
  });
  log(
    `operator process ${operator.pid} ready and leading, ${describeHeapCap(operator.memoryLimitMiB)}; its log: ${operator.logFile}`,
  );
  const memory = sampleMemory(operator);
  try {
    await memory.sample();
    const baseline = { ...memory.figures };
    const mappingNames = company.mappings.map((_, m) => `mapping-${m}`);
    await inParallel(company.mappings.length, 4, (m) =>
      createAccessMapping(cluster.admin, mappingNames[m]!, {
        connection: identity.connection,
        groups: company.mappings[m]!.map((g) => company.groupNames[g]!),
        clusterRole: m % 2 ? 'view' : 'edit',
        namespaces: [namespaces[m % NAMESPACES]!],
      }),
    );
    await untilWritesStop(cluster.admin, CONTROLLER_WRITES, 3000, 120_000);
    log(`${company.mappings.length} mappings created`);

    const servedBefore = await apiserverRequests(cluster.admin);
    const metricsBefore = await operator.scrape();
    const { call, stats: retries } = retryingCall(scimClient(operator.scimUrl, identity.token));
    const can = (userName: string) => cluster.subjectCan(userName, 'create', 'configmaps', namespaces[0]!);
    let syncRunning = true;
    let deprovision: ReturnType<typeof deprovisionProbes> | undefined;
    // The first users of the all-staff group (filled in index order): each is granted within the first member
    // PATCHes, so the samples run while the rest of the sync goes on. Mapping 0 grants `edit` in team-0.
    const leavers = Array.from({ length: DEPROVISIONS }, (_, k) => 2 + k);
    sync = await pushCompany(company, call, CONCURRENCY, (userIds) => {
      log('member PATCHes start; deprovisioning samples run beside them');
      deprovision = deprovisionProbes(
        call,
        can,
        leavers.map((user) => ({ user, id: userIds[user]! })),
        () => syncRunning,
      );
    });
    syncRunning = false;
    const deprovisioned = await deprovision!;
    const lastWrite = Math.max(sync.lastWriteAt, deprovisioned.lastPatchAt);
    log(
      `sync done in ${sync.totalSeconds.toFixed(1)} s (users ${sync.usersSeconds.toFixed(1)}, groups ${sync.groupsSeconds.toFixed(1)}, members ${sync.membersSeconds.toFixed(1)}); ${deprovisioned.duringSync}/${DEPROVISIONS} deprovisions ran during it: ${latencySummary(deprovisioned.samples)}; operator RSS peak so far ${(memory.figures.peakRss / 2 ** 20).toFixed(0)} MiB`,
    );

    const leaverSet = new Set(leavers);
    const subjects = new Map(
      company.mappings.map((groups, m) => {
        const users = new Set(groups.flatMap((g) => company.members[g]!));
        const active = [...users].filter((u) => !leaverSet.has(u)).length;
        return [mappingNames[m]!, [active, users.size]];
      }),
    );
    let readyAt: number | undefined;
    while (Date.now() - lastWrite < IDLE_TIMEOUT_MS) {
      if ((await readyMappings(cluster.admin, subjects)) === company.mappings.length) {
        readyAt = Date.now();
        break;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    log(
      readyAt
        ? `every mapping Ready ${((readyAt - lastWrite) / 1000).toFixed(1)} s after the last write`
        : 'mappings not Ready',
    );
    const idleAt = await untilWritesStop(cluster.admin, CONTROLLER_WRITES, QUIET_MS, IDLE_TIMEOUT_MS);
    await memory.sample();
    const settled = { ...memory.figures };
    const served = requestsBetween(servedBefore, await apiserverRequests(cluster.admin), OUR_RESOURCES);
    // The benchmark's own readiness polls.
    served.delete('LIST accessmappings');
    const metricsAfter = await operator.scrape();
    const delta = (name: string) => metricsAfter.sum(name) - metricsBefore.sum(name);
    const endpoint = delta('scim_operator_store_api_requests_total');
    const leases = [...served].filter(([key]) => key.endsWith(' leases')).reduce((n, [, v]) => n + v, 0);
    const controllerMetric = 'scim_operator_controller_api_writes_total';
    const derived = total(served) - endpoint - leases;
    const controllers = metricsAfter.has(controllerMetric) ? delta(controllerMetric) : derived;

    const probeUser = (k: number) => {
      let user = (k * 7919 + 11) % company.users;
      while (leaverSet.has(user)) user = (user + 1) % company.users;
      return { user, id: sync.userIds[user]! };
    };
    log('lookups, raw GETs and member changes, one at a time');
    const { lookups, rawGet } = await lookupProbes(
      call,
      operator,
      identity.kc,
      probeUser,
      (k) => company.groupNames[(k * 31) % company.members.length]!,
      PROBES,
    );
    const members = await memberProbes(call, operator, sync.groupIds[0]!, (k) => probeUser(k).id, PROBES);
    // Each figure on stderr as soon as it exists, so that a run stopped later still says what it measured.
    for (const probe of [rawGet, ...lookups, ...members])
      log(`${probe.name}: ${latencySummary(probe.samples)}; ${probe.requestsPerSample.toFixed(2)} API requests each`);

    // Steady load starts once the probes' own grants and revocations have been written.
    await untilWritesStop(cluster.admin, CONTROLLER_WRITES, QUIET_MS, IDLE_TIMEOUT_MS);
    log(`steady load: ${STEADY_CHANGES} incremental changes with ${STEADY_CONCURRENCY} clients`);
    const steadyBefore = await operator.scrape();
    const steady = await steadyLoad(call, sync, planSteadyLoad(company, STEADY_CHANGES, leaverSet), STEADY_CONCURRENCY);
    const steadyIdleAt = await untilWritesStop(cluster.admin, CONTROLLER_WRITES, QUIET_MS, IDLE_TIMEOUT_MS);
    const steadyAfter = await operator.scrape();
    const steadyWrites = new Map(
      CONTROLLER_WRITE_RESOURCES.map((resource) => [
        resource,
        steadyAfter.sum(controllerMetric, { resource }) - steadyBefore.sum(controllerMetric, { resource }),
      ]),
    );
    const steadyTotal = steadyAfter.sum(controllerMetric) - steadyBefore.sum(controllerMetric);
    const named = [...steadyWrites.values()].reduce((a, b) => a + b, 0);
    if (steadyTotal > named) steadyWrites.set('other', steadyTotal - named);
    const storeMetric = 'scim_operator_store_api_requests_total';

    const etcdBytes = await etcdDbBytes(cluster.plane.dir);
    const largest = await largestObject(cluster.admin);

    printSync({
      company,
      sync,
      readySeconds: readyAt === undefined ? undefined : (readyAt - lastWrite) / 1000,
      idleSeconds: idleAt === undefined ? undefined : Math.max(0, (idleAt - lastWrite) / 1000),
      quietSeconds: QUIET_MS / 1000,
      changes: sync.changes + deprovisioned.samples.length,
      retries: retries.retries,
      busyRetries: retries.busyRetries,
      served,
      endpoint,
      controllers,
      controllersFromMetric: metricsAfter.has(controllerMetric),
      controllersDerived: derived,
      memory: { baseline, peak: memory.figures, settled, limitMiB: operator.memoryLimitMiB },
      etcdBytes,
      etcdQuotaGiB: cluster.etcdQuotaGiB,
      largest,
    });
    printFullSize({ company, lookups, rawGet, members, deprovisioned, deprovisions: DEPROVISIONS });
    printSteady({
      steady,
      concurrency: STEADY_CONCURRENCY,
      idleSeconds: steadyIdleAt === undefined ? undefined : Math.max(0, (steadyIdleAt - steady.lastWriteAt) / 1000),
      quietSeconds: QUIET_MS / 1000,
      writes: steadyWrites,
      endpoint: steadyAfter.sum(storeMetric) - steadyBefore.sum(storeMetric),
    });

    if (PEERS) {
      const group = await call('POST', '/Groups', { displayName: 'Peer Bench Group', members: [] });
      if (group.status !== 201) throw new Error(`POST /Groups answered ${group.status}`);
      log(`peer requests against the operator at ${company.users} users`);
      const target: LoadTarget = {
        server: 'scim-operator',
        size: company.users,
        baseUrl: operator.scimUrl,
        token: identity.token,
        userName: (i) => entraUser(i).userName,
        id: (i) => sync.userIds[i]!,
        groupId: group.body.id,
      };
      compared.push(...(await measureTarget(target, PEER_CONCURRENCY, peerDurationMs)));
    }
  } finally {
    memory.stop();
    await operator.stop();
  }
} finally {
  await cluster.stop();
}

log(`raw floor: a fresh control plane, ${Math.round(RAW_FRACTION * 100)} % of the objects`);
const rawCluster = await startBenchCluster({ etcdQuotaGiB: ETCD_QUOTA_GIB });
try {
  const identity = await prepareOperatorIdentity(rawCluster);
  const raw = await writeRawFloor(identity.kc, identity.connection, company, RAW_FRACTION, CONCURRENCY);
  const rawTotal = raw.usersSeconds + raw.groupsSeconds + raw.shardsSeconds;
  const rows: ResultRow[] = [
    {
      metric: 'SCIM initial sync / raw floor (same objects, same concurrency)',
      goal: '<= 1.3',
      measured: `${(sync!.totalSeconds / rawTotal).toFixed(2)} (${sync!.totalSeconds.toFixed(1)} s / ${rawTotal.toFixed(1)} s)`,
      met: sync!.totalSeconds / rawTotal <= 1.3,
    },
    {
      metric: 'SCIM initial sync / raw users and groups alone (claims + objects, no member shards)',
      measured: `${(sync!.totalSeconds / (raw.usersSeconds + raw.groupsSeconds)).toFixed(2)}`,
    },
    {
      metric: 'raw floor: users (claim + ScimUser each)',
      measured: `${raw.usersSeconds.toFixed(1)} s (SCIM POST /Users ${sync!.usersSeconds.toFixed(1)} s, ratio ${(sync!.usersSeconds / raw.usersSeconds).toFixed(2)})`,
    },
    {
      metric: 'raw floor: groups (claim + ScimGroup each)',
      measured: `${raw.groupsSeconds.toFixed(1)} s (SCIM POST /Groups ${sync!.groupsSeconds.toFixed(1)} s)`,
    },
    {
      metric: 'raw floor: member shards (final contents, one create each)',
      measured: `${raw.shardsSeconds.toFixed(1)} s (SCIM member PATCHes ${sync!.membersSeconds.toFixed(1)} s)`,
    },
  ];
  printResults(`Initial sync against the raw-write floor, ${CONCURRENCY} clients`, rows, [
    `raw figures are extrapolated rates: ${Math.round(raw.fraction * 100)} % of the users and groups were written (${raw.writes} objects) into a fresh control plane as the operator's identity; the all-staff group's shards are written whole and counted once`,
  ]);
} finally {
  await rawCluster.stop();
}

if (PEERS) {
  compared.push(...(await measureOursSeeded(logDir)));
  compared.push(...(await measurePeers(company.users)));
  printPeerTable(compared);
}
log(`bench:100k done in ${((Date.now() - runStarted) / 60_000).toFixed(1)} min`);
