/**
 * The peer comparison: our operator (at the two smaller sizes on a control plane of its own, seeded raw; at full size
 * the big run's operator) and each peer server seeded in-process, all sent the same requests by the same load
 * generator at the same concurrency.
 */

import { randomUUID } from 'node:crypto';
import { labels } from '../../src/api/labels.ts';
import { type ScimClaim, scimClaimKind } from '../../src/api/scim-claim.ts';
import { type ScimUser, scimUserKind } from '../../src/api/scim-user.ts';
import { ResourceClient } from '../../src/store/kube-client.ts';
import { claimName } from '../../src/store/uniqueness-claims.ts';
import { type Measured, measureTarget, REQUESTS } from '../peers/compare.ts';
import { PEER_GROUP_ID, peerUser, peerUserId } from '../peers/peer-user.ts';
import { PEERS, startPeer } from '../peers/servers.ts';
import { prepareOperatorIdentity, startBenchCluster } from '../support/cluster.ts';
import { scimClient } from '../support/endpoint.ts';
import { benchScale, inParallel, log, printTable, scaled } from '../support/measure.ts';
import { startOperatorProcess } from '../support/operator-process.ts';
import { scimUserObject } from '../support/seed.ts';

export const PEER_CONCURRENCY = 10;
export const peerDurationMs = Number(process.env.BENCH_LOAD_S ?? Math.max(3, Math.round(10 * benchScale))) * 1000;
export const SMALLER_PEER_SIZES = [scaled(1_000, 100), scaled(10_000, 200)];

/**
 * Our operator at `sizes` (the two smaller ones unless told): one control plane, seeded raw with the peers' users,
 * grown between sizes.
 */
export async function measureOursSeeded(
  logDir: string,
  sizes: readonly number[] = SMALLER_PEER_SIZES,
): Promise<Measured[]> {
  const cluster = await startBenchCluster();
  try {
    const identity = await prepareOperatorIdentity(cluster);
    const users = new ResourceClient<ScimUser>(identity.kc, scimUserKind.kind, scimUserKind.plural);
    const claims = new ResourceClient<ScimClaim>(identity.kc, scimClaimKind.kind, scimClaimKind.plural);
    const ids: string[] = [];
    const seedTo = (size: number) => {
      const from = ids.length;
      return inParallel(size - from, 16, async (k) => {
        const i = from + k;
        const id = randomUUID();
        const attributes = peerUser(i);
        await claims.create({
          metadata: {
            name: claimName(identity.connection, 'User', attributes.userName),
            labels: { [labels.connection]: identity.connection },
          },
          spec: { resourceType: 'User', attribute: 'userName', value: attributes.userName.toLowerCase(), owner: id },
        });
        await users.create(scimUserObject(identity.connection, id, attributes));
        ids[i] = id;
      });
    };
    await seedTo(sizes[0]!);
    const operator = await startOperatorProcess(identity, logDir);
    const measured: Measured[] = [];
    try {
      const call = scimClient(operator.scimUrl, identity.token);
      const group = await call('POST', '/Groups', { displayName: 'Peer Group', members: [] });
      if (group.status !== 201) throw new Error(`POST /Groups answered ${group.status}`);
      for (const size of sizes) {
        if (ids.length < size) await seedTo(size);
        // The operator's cache follows the seeding by watch; wait until it has every user.
        const deadline = Date.now() + 600_000;
        while ((await operator.scrape()).sum('scim_operator_users') < size && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 500));
        }
        log(`peer requests against the operator at ${size} users`);
        measured.push(
          ...(await measureTarget(
            {
              server: 'scim-operator',
              size,
              baseUrl: operator.scimUrl,
              token: identity.token,
              userName: (i) => peerUser(i).userName,
              id: (i) => ids[i]!,
              groupId: group.body.id,
            },
            PEER_CONCURRENCY,
            peerDurationMs,
          )),
        );
      }
    } finally {
      await operator.stop();
    }
    return measured;
  } finally {
    await cluster.stop();
  }
}

export async function measurePeers(fullSize: number): Promise<Measured[]> {
  const measured: Measured[] = [];
  for (const size of [...SMALLER_PEER_SIZES, fullSize]) {
    for (const name of PEERS) {
      const started = Date.now();
      const server = await startPeer(name, size);
      log(`${name} seeded with ${size} users in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      try {
        measured.push(
          ...(await measureTarget(
            {
              server: name,
              size,
              baseUrl: server.baseUrl,
              token: server.token,
              userName: (i) => peerUser(i).userName,
              id: peerUserId,
              groupId: PEER_GROUP_ID,
            },
            PEER_CONCURRENCY,
            peerDurationMs,
          )),
        );
      } finally {
        await server.stop();
      }
    }
  }
  return measured;
}

const fmt = (m: Measured | undefined) =>
  m
    ? `${m.result.perSecond.toFixed(1)} req/s, p99 ${m.result.p99.toFixed(0)} ms${m.result.errors ? `, ${m.result.errors} errors` : ''}`
    : '-';

/** `largestSeeded`: ours at the largest size was seeded raw too (`BENCH_PEERS=only`), not the initial-sync run. */
export function printPeerTable(measured: Measured[], largestSeeded = false): void {
  const servers = ['scim-operator', ...PEERS];
  const sizes = [...new Set(measured.map((m) => m.size))].sort((a, b) => a - b);
  const find = (server: string, size: number, request: string) =>
    measured.find((m) => m.server === server && m.size === size && m.request === request);
  const rows: string[][] = [];
  for (const request of REQUESTS) {
    for (const size of sizes) {
      const ours = find('scim-operator', size, request);
      const ratios = PEERS.map((peer) => {
        const theirs = find(peer, size, request);
        return ours && theirs ? `${(ours.result.perSecond / theirs.result.perSecond).toFixed(2)}×` : '-';
      });
      rows.push([request, size.toLocaleString('en'), ...servers.map((s) => fmt(find(s, size, request))), ...ratios]);
    }
  }
  const errors = measured
    .filter((m) => m.result.firstError)
    .map((m) => `${m.server} ${m.size} ${m.request}: ${m.result.firstError}`);
  printTable(
    `Side by side with peer SCIM servers, ${PEER_CONCURRENCY} keep-alive connections, ${peerDurationMs / 1000} s per cell`,
    ['request', 'users', ...servers, ...PEERS.map((p) => `ours/${p} (req/s)`)],
    rows,
    [
      'SCIMMY 1.3.5 + scimmy-routers 1.3.2 on express 5.3.0, in memory (bench/peers/scimmy-server.ts); scim2-server 0.8.3, in memory; both seeded in-process, not over HTTP.',
      largestSeeded
        ? "scim-operator at every size: a control plane of its own seeded raw with the peers' users, controllers running."
        : "scim-operator at the largest size is the initial-sync run (Entra-shaped users, controllers running); at the smaller sizes a control plane of its own seeded raw with the peers' users.",
      ...errors.slice(0, 6).map((e) => `first error: ${e}`),
    ],
  );
}
