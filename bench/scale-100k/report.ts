/** The result tables of the 100k run; every met/missed is computed from the measured figures and the goals. */

import { describeCounts, type RequestCounts, total } from '../support/apiserver-requests.ts';
import { describeHeapCap } from '../support/chart-memory.ts';
import { latencySummary, percentile, printResults, type ResultRow } from '../support/measure.ts';
import type { MemoryFigures } from '../support/operator-process.ts';
import type { LargestObject } from './cluster-figures.ts';
import type { Company } from './dataset.ts';
import type { DeprovisionResult, Probe } from './probes.ts';
import type { SteadyResult } from './steady-load.ts';
import { MEMBER_BATCH, type SyncResult } from './sync.ts';

const MiB = 1024 * 1024;
const mib = (bytes: number) => `${(bytes / MiB).toFixed(0)} MiB`;
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

export interface SyncFigures {
  company: Company;
  sync: SyncResult;
  readySeconds: number | undefined;
  idleSeconds: number | undefined;
  quietSeconds: number;
  changes: number;
  /** SCIM requests sent again after a connection error (counted in `changes` once). */
  retries: number;
  busyRetries: number;
  served: RequestCounts;
  endpoint: number;
  controllers: number;
  controllersFromMetric: boolean;
  /** All requests (reads too) minus the endpoint's and the Lease renewals. */
  controllersDerived: number;
  /** `limitMiB`: the memory limit the operator's heap was capped for (0.75 of it); undefined when not capped. */
  memory: { baseline: MemoryFigures; peak: MemoryFigures; settled: MemoryFigures; limitMiB: number | undefined };
  etcdBytes: number;
  /** etcd's space quota in GiB; undefined for etcd's default (2 GiB). */
  etcdQuotaGiB: number | undefined;
  largest: LargestObject[];
}

export function printSync(f: SyncFigures): void {
  const { company, sync } = f;
  const objects = company.users + company.members.length;
  const perChange = (n: number) => (n / f.changes).toFixed(2);
  const rows: ResultRow[] = [
    {
      metric: 'SCIM load: users POSTed, groups POSTed, members PATCHed',
      measured: `${sync.totalSeconds.toFixed(1)} s (${sync.usersSeconds.toFixed(1)} + ${sync.groupsSeconds.toFixed(1)} + ${sync.membersSeconds.toFixed(1)} s; ${sync.memberPatches} PATCHes of <= ${MEMBER_BATCH})`,
    },
    {
      metric: 'last SCIM write -> every mapping Ready with all its subjects',
      measured: f.readySeconds === undefined ? 'not reached' : `${f.readySeconds.toFixed(1)} s (polled each second)`,
    },
    {
      metric: `last SCIM write -> controllers idle (no write for ${f.quietSeconds} s)`,
      measured: f.idleSeconds === undefined ? 'still writing at the timeout' : `${f.idleSeconds.toFixed(1)} s`,
    },
    { metric: 'API requests per SCIM change, all (API server counter)', measured: perChange(total(f.served)) },
    { metric: 'API requests per SCIM change, endpoint (store counter)', measured: perChange(f.endpoint) },
    {
      metric: `API requests per SCIM change, controllers (${f.controllersFromMetric ? 'their writes, scim_operator_controller_api_writes_total' : 'all - endpoint - leases'})`,
      goal: '<= 1.0',
      measured: perChange(f.controllers),
      met: f.controllers / f.changes <= 1.0,
    },
    {
      metric: 'API requests per SCIM change, controllers and informers incl. reads (all - endpoint - leases)',
      measured: perChange(f.controllersDerived),
    },
    {
      metric: `operator RSS, peak / settled; ${describeHeapCap(f.memory.limitMiB)}`,
      goal: '< 1 GiB',
      measured: `${mib(f.memory.peak.peakRss)} / ${mib(f.memory.settled.lastRss)} (at start ${mib(f.memory.baseline.lastRss)})`,
      met: f.memory.peak.peakRss < 1024 * MiB,
    },
    {
      metric: 'operator heap used, peak / settled',
      measured: `${mib(f.memory.peak.peakHeap)} / ${mib(f.memory.settled.lastHeap)} (at start ${mib(f.memory.baseline.lastHeap)})`,
    },
    {
      metric: 'per user or group, settled minus start',
      measured: `RSS ${kib((f.memory.settled.lastRss - f.memory.baseline.lastRss) / objects)}, heap ${kib((f.memory.settled.lastHeap - f.memory.baseline.lastHeap) / objects)}`,
    },
    {
      metric: 'etcd database size (bbolt file)',
      measured: `${mib(f.etcdBytes)} (space quota ${f.etcdQuotaGiB ?? 2} GiB${f.etcdQuotaGiB ? '' : ", etcd's default"})`,
    },
    ...f.largest.map((o, i) => ({
      metric: i === 0 ? 'largest object (JSON)' : `largest ${o.kind}`,
      measured: `${kib(o.bytes)} (${o.kind} ${o.name})`,
    })),
  ];
  printResults(
    `Initial sync: ${company.users.toLocaleString('en')} users, ${company.members.length.toLocaleString('en')} groups (${company.memberships.toLocaleString('en')} memberships), ${company.mappings.length} mappings, 16 SCIM clients, operator as its own process`,
    rows,
    [
      `SCIM changes: ${f.changes} (POSTs, member PATCHes, deprovisioning PATCHes); endpoint ${f.endpoint} requests, controllers ${f.controllers}; ${f.retries} SCIM requests sent again after a connection error, ${f.busyRetries} after a 429 or 503`,
      `API server requests (non-watch) from the first SCIM request to idle: ${describeCounts(f.served)}`,
    ],
  );
}

export interface FullSizeFigures {
  company: Company;
  lookups: Probe[];
  rawGet: Probe;
  members: Probe[];
  deprovisioned: DeprovisionResult;
  deprovisions: number;
}

export function printFullSize(f: FullSizeFigures): void {
  const rawP99 = percentile(f.rawGet.samples, 99);
  const rows: ResultRow[] = [
    {
      metric: 'deprovision: PATCH active "False" acknowledged -> SubjectAccessReview denies',
      goal: 'p99 < 500 ms',
      measured: `${latencySummary(f.deprovisioned.samples)}; ${f.deprovisioned.duringSync} of ${f.deprovisions} sent while the sync ran`,
      met: percentile(f.deprovisioned.samples, 99) < 500,
    },
    { metric: f.rawGet.name, measured: latencySummary(f.rawGet.samples) },
    ...f.lookups.map((probe) => ({
      metric: `lookup ${probe.name}`,
      goal: `p99 <= 1.5 x raw (${(1.5 * rawP99).toFixed(1)} ms), <= 1 request`,
      measured: `${latencySummary(probe.samples)}; ${probe.requestsPerSample.toFixed(2)} API requests each`,
      met: percentile(probe.samples, 99) <= 1.5 * rawP99 && probe.requestsPerSample <= 1,
    })),
    ...f.members.map((probe) => ({
      metric: `${probe.name}, group of ${f.company.members[0]!.length.toLocaleString('en')}`,
      goal: 'p99 < 100 ms, <= 2 requests',
      measured: `${latencySummary(probe.samples)}; ${probe.requestsPerSample.toFixed(2)} API requests each`,
      met: percentile(probe.samples, 99) < 100 && probe.requestsPerSample <= 2,
    })),
  ];
  printResults(
    `At ${f.company.users.toLocaleString('en')} users: deprovisioning, lookups, member changes (sequential)`,
    rows,
    [
      'API requests per lookup or member change: the endpoint store counter (scim_operator_store_api_requests_total) over the samples',
    ],
  );
}

export interface SteadyFigures {
  steady: SteadyResult;
  concurrency: number;
  /** Seconds from the last steady write until no controller write for `quietSeconds`; undefined at the timeout. */
  idleSeconds: number | undefined;
  quietSeconds: number;
  /** The controllers' writes over the phase (scim_operator_controller_api_writes_total), by resource. */
  writes: Map<string, number>;
  /** The endpoint's API requests over the phase (its store counter). */
  endpoint: number;
}

export function printSteady(f: SteadyFigures): void {
  const controllers = [...f.writes.values()].reduce((a, b) => a + b, 0);
  const perChange = controllers / f.steady.changes;
  const byKind = Object.entries(f.steady.sent)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');
  const byResource = [...f.writes]
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([resource, n]) => `${resource} ${n}`)
    .join(', ');
  printResults(
    `Steady load after the sync: an IdP's incremental changes, ${f.concurrency} SCIM clients`,
    [
      {
        metric: 'SCIM changes sent (attribute PATCHes, member adds/removes, joiners POST + add, leavers)',
        measured: `${f.steady.changes} in ${f.steady.seconds.toFixed(1)} s (${byKind})`,
      },
      {
        metric: `last SCIM write -> controllers idle (no write for ${f.quietSeconds} s)`,
        measured: f.idleSeconds === undefined ? 'still writing at the timeout' : `${f.idleSeconds.toFixed(1)} s`,
      },
      {
        metric: 'controllers API requests per SCIM change at steady load (scim_operator_controller_api_writes_total)',
        goal: '<= 1.0',
        measured: `${perChange.toFixed(2)} (${controllers} writes)`,
        met: perChange <= 1.0,
      },
      {
        metric: 'endpoint API requests per SCIM change (store counter)',
        measured: (f.endpoint / f.steady.changes).toFixed(2),
      },
    ],
    [`controller writes by resource: ${byResource || 'none'}`],
  );
}
