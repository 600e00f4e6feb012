/**
 * `kubectl scim report --format csv` over 10,000 users, 500 groups of 20 and 100 AccessMappings, read from a real
 * API server by a separate process as an auditor would run it. Measured: wall time, rows, and the report process's
 * peak RSS, at the full size and at a fifth of it: memory that stays flat while users grow five-fold is what "streams
 * without loading all users" means (groups, memberships and mappings are loaded whole by design).
 * Goal: completes in seconds; peak RSS grows by well under the users' share.
 */

import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { labels } from '../src/api/labels.ts';
import { type ScimGroup, scimGroupKind } from '../src/api/scim-group.ts';
import { type ScimGroupMembers, scimGroupMembersKind } from '../src/api/scim-group-members.ts';
import { ResourceClient } from '../src/store/kube-client.ts';
import { shardName, shardOf, shardSpec } from '../src/store/member-shards.ts';
import { indexLabels } from '../src/store/resource-mapping.ts';
import { createAccessMapping } from './support/access-mappings.ts';
import { prepareOperatorIdentity, startBenchCluster, uniqueName } from './support/cluster.ts';
import { elapsedMs, inParallel, log, now, printResults, scaled } from './support/measure.ts';
import { type SeededUser, seedUsers } from './support/seed.ts';

const USERS = scaled(10_000, 500);
const GROUPS = scaled(500, 25);
const MAPPINGS = scaled(100, 5);
const NAMESPACES = 10;
const MEMBERS_PER_GROUP = Math.floor(USERS / GROUPS);

interface ReportRun {
  seconds: number;
  rows: number;
  peakRssMiB: number;
}

/** Runs the plugin in its own process, counting CSV records; the child reports its own peak RSS (getrusage). */
function runReport(kubeconfig: string, settingsFile: string, connection: string): Promise<ReportRun> {
  const plugin = fileURLToPath(new URL('../src/plugin/main.ts', import.meta.url));
  const script = `
    const { runPlugin } = await import(${JSON.stringify(plugin)});
    let rows = -1;
    const out = { write: async (t) => { rows += t.split('\\r\\n').length - 1; }, error: (t) => process.stderr.write(t) };
    const status = await runPlugin(process.argv.slice(1), out);
    process.stdout.write(JSON.stringify({ status, rows, maxRssKiB: process.resourceUsage().maxRSS }));`;
  const args = ['--input-type=module', '-e', script, 'report', '--format', 'csv', '--kubeconfig', kubeconfig];
  args.push('--settings', settingsFile, '--connection', connection);
  const started = now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`report exited ${code}`));
      const result = JSON.parse(stdout) as { status: number; rows: number; maxRssKiB: number };
      if (result.status !== 0) return reject(new Error(`report status ${result.status}`));
      resolve({ seconds: elapsedMs(started) / 1000, rows: result.rows, peakRssMiB: result.maxRssKiB / 1024 });
    });
  });
}

async function seedGroups(
  identity: Awaited<ReturnType<typeof prepareOperatorIdentity>>,
  users: SeededUser[],
  names: string[],
) {
  const groups = new ResourceClient<ScimGroup>(identity.kc, scimGroupKind.kind, scimGroupKind.plural);
  const shards = new ResourceClient<ScimGroupMembers>(
    identity.kc,
    scimGroupMembersKind.kind,
    scimGroupMembersKind.plural,
  );
  await inParallel(names.length, 16, async (g) => {
    const id = crypto.randomUUID();
    await groups.create({
      metadata: { name: id, labels: indexLabels(identity.connection, 'Group', { displayName: names[g] }) },
      spec: { displayName: names[g]! },
    });
    const members = users.slice(g * MEMBERS_PER_GROUP, (g + 1) * MEMBERS_PER_GROUP).map((u) => u.id);
    const byShard = new Map<number, string[]>();
    for (const m of members) byShard.set(shardOf(m), [...(byShard.get(shardOf(m)) ?? []), m]);
    for (const [shard, ids] of byShard)
      await shards.create({
        metadata: {
          name: shardName(id, shard),
          labels: { [labels.group]: id, [labels.connection]: identity.connection },
        },
        spec: shardSpec(
          id,
          shard,
          ids.map((value) => ({ value, type: 'User' })),
        ),
      });
  });
}

const cluster = await startBenchCluster();
try {
  const identity = await prepareOperatorIdentity(cluster);
  const namespaces = await Promise.all(Array.from({ length: NAMESPACES }, () => cluster.createNamespace()));
  const settingsFile = path.join(cluster.plane.dir, 'report-settings.yaml');
  await writeFile(settingsFile, `connections: [${identity.connection}]\n`);
  const groupNames = Array.from({ length: GROUPS }, (_, g) => `team-${g}-${uniqueName('g')}`);
  const perMapping = GROUPS / MAPPINGS;
  await inParallel(MAPPINGS, 4, (m) =>
    createAccessMapping(cluster.admin, uniqueName('mapping'), {
      connection: identity.connection,
      groups: groupNames.slice(m * perMapping, (m + 1) * perMapping),
      clusterRole: m % 2 ? 'view' : 'edit',
      namespaces: [namespaces[m % NAMESPACES]!],
    }),
  );

  let started = now();
  const fifth = Math.floor(USERS / 5);
  const first = await seedUsers(identity.kc, identity.connection, fifth, 'report-a');
  await seedGroups(identity, first, groupNames.slice(0, GROUPS / 5));
  log(`seeded ${fifth} users in ${(elapsedMs(started) / 1000).toFixed(1)} s`);
  const small = await runReport(cluster.plane.adminKubeconfig, settingsFile, identity.connection);
  log(
    `report over ${fifth} users: ${small.rows} rows in ${small.seconds.toFixed(1)} s, peak RSS ${small.peakRssMiB.toFixed(0)} MiB`,
  );

  started = now();
  const rest = await seedUsers(identity.kc, identity.connection, USERS - fifth, 'report-b');
  await seedGroups(identity, rest, groupNames.slice(GROUPS / 5));
  log(`seeded ${USERS - fifth} more users in ${(elapsedMs(started) / 1000).toFixed(1)} s`);
  const full = await runReport(cluster.plane.adminKubeconfig, settingsFile, identity.connection);
  log(
    `report over ${USERS} users: ${full.rows} rows in ${full.seconds.toFixed(1)} s, peak RSS ${full.peakRssMiB.toFixed(0)} MiB`,
  );

  printResults(
    'kubectl scim report',
    [
      {
        metric: `report --format csv, ${USERS} users, ${MAPPINGS} mappings`,
        goal: '< 30 s',
        measured: `${full.seconds.toFixed(1)} s (${full.rows} rows)`,
        met: full.seconds < 30,
      },
      { metric: `same, ${fifth} users`, measured: `${small.seconds.toFixed(1)} s (${small.rows} rows)` },
      {
        metric: 'peak RSS of the report process, full / fifth',
        measured: `${full.peakRssMiB.toFixed(0)} / ${small.peakRssMiB.toFixed(0)} MiB`,
      },
      {
        metric: 'peak RSS growth for 5x the users',
        goal: '< 2x',
        measured: `${(full.peakRssMiB / small.peakRssMiB).toFixed(2)}x`,
        met: full.peakRssMiB / small.peakRssMiB < 2,
      },
    ],
    [
      'users are listed 500 per request; groups, member shards and mappings are loaded whole (they grow with memberships)',
    ],
  );
} finally {
  await cluster.stop();
}
