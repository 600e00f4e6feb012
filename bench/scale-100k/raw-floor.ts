/**
 * The physical floor of the initial sync: the objects the store ends up with for the company (per user a ScimClaim
 * and a ScimUser; per group a claim, the ScimGroup and its non-empty member shards), written straight to the API server
 * with the pooled client at the same concurrency, as the same non-admin identity. Only a sample (every k-th user and
 * group, members restricted to sampled users) is written; figures are rates, extrapolated to the whole company.
 */

import { randomUUID } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import { annotations, labels } from '../../src/api/labels.ts';
import { type ScimClaim, scimClaimKind } from '../../src/api/scim-claim.ts';
import { type ScimGroup, scimGroupKind } from '../../src/api/scim-group.ts';
import { type ScimGroupMembers, scimGroupMembersKind } from '../../src/api/scim-group-members.ts';
import { type ScimUser, scimUserKind } from '../../src/api/scim-user.ts';
import { ResourceClient } from '../../src/store/kube-client.ts';
import { layoutShards, shardObject, shardSpec } from '../../src/store/member-shards.ts';
import { indexLabels, toSpec } from '../../src/store/resource-mapping.ts';
import { claimName } from '../../src/store/uniqueness-claims.ts';
import { elapsedMs, inParallel, log, now } from '../support/measure.ts';
import { scimUserObject } from '../support/seed.ts';
import { type Company, entraUser } from './dataset.ts';

export interface RawFloor {
  fraction: number;
  /** Extrapolated to the whole company: sampled seconds / fraction. */
  usersSeconds: number;
  groupsSeconds: number;
  shardsSeconds: number;
  writes: number;
}

export async function writeRawFloor(
  kc: KubeConfig,
  connection: string,
  company: Company,
  fraction: number,
  concurrency: number,
): Promise<RawFloor> {
  const users = new ResourceClient<ScimUser>(kc, scimUserKind.kind, scimUserKind.plural);
  const groups = new ResourceClient<ScimGroup>(kc, scimGroupKind.kind, scimGroupKind.plural);
  const shards = new ResourceClient<ScimGroupMembers>(kc, scimGroupMembersKind.kind, scimGroupMembersKind.plural);
  const claims = new ResourceClient<ScimClaim>(kc, scimClaimKind.kind, scimClaimKind.plural);
  const step = Math.max(1, Math.round(1 / fraction));
  const sampledUsers = Array.from({ length: Math.ceil(company.users / step) }, (_, k) => k * step);
  const sampledGroups = Array.from({ length: Math.ceil(company.members.length / step) }, (_, k) => k * step);
  const ids = new Map<number, string>();
  const claim = (type: 'User' | 'Group', value: string, owner: string) =>
    claims.create({
      metadata: { name: claimName(connection, type, value), labels: { [labels.connection]: connection } },
      spec: {
        resourceType: type,
        attribute: type === 'User' ? 'userName' : 'displayName',
        value: value.toLowerCase(),
        owner,
      },
    });

  let started = now();
  await inParallel(sampledUsers.length, concurrency, async (k) => {
    const i = sampledUsers[k]!;
    const id = randomUUID();
    const attributes = entraUser(i);
    await claim('User', attributes.userName, id);
    await users.create(scimUserObject(connection, id, attributes));
    ids.set(i, id);
  });
  const usersSeconds = elapsedMs(started) / 1000;
  log(`raw floor: ${sampledUsers.length} users in ${usersSeconds.toFixed(1)} s`);

  started = now();
  const created: ScimGroup[] = new Array(sampledGroups.length);
  await inParallel(sampledGroups.length, concurrency, async (k) => {
    const g = sampledGroups[k]!;
    const id = randomUUID();
    const attributes = { externalId: `group-${g}`, displayName: company.groupNames[g]! };
    await claim('Group', attributes.displayName, id);
    const stamp = new Date().toISOString();
    created[k] = await groups.create({
      metadata: {
        name: id,
        labels: indexLabels(connection, 'Group', attributes),
        annotations: {
          [annotations.created]: stamp,
          [annotations.lastModified]: stamp,
          [annotations.memberShardDepth]: '0',
        },
      },
      spec: toSpec('Group', attributes),
    } as Omit<ScimGroup, 'apiVersion' | 'kind'>);
  });
  const groupsSeconds = elapsedMs(started) / 1000;
  log(`raw floor: ${sampledGroups.length} groups in ${groupsSeconds.toFixed(1)} s`);

  // A shard holds ids, not references: members outside the user sample get ids of the same length, so that each
  // sampled group's shards are exactly as large as in the SCIM run.
  const idOf = (u: number) => ids.get(u) ?? `f0000000-0000-4000-8000-${u.toString(16).padStart(12, '0')}`;
  // The final layout of a group the endpoint created: its shards start at depth 0 and split as they fill (ADR 0025).
  const writesOf = (k: number) =>
    [
      ...layoutShards(
        company.members[sampledGroups[k]!]!.map((u) => ({ value: idOf(u) })),
        0,
      ),
    ].map(([shard, { depth, members }]) => ({ group: created[k]!, shard, depth, members }));
  const writeShards = (writes: ReturnType<typeof writesOf>) =>
    inParallel(writes.length, concurrency, async (k) => {
      const { group, shard, depth, members } = writes[k]!;
      await shards.create(shardObject(group, shardSpec(group.metadata.name, shard, members, depth)));
    });
  // Group 0 (everyone) exists once whatever the sample: it is written whole and counted once, the other sampled
  // groups' shards are extrapolated by the group fraction.
  started = now();
  const everyone = writesOf(0);
  await writeShards(everyone);
  const everyoneSeconds = elapsedMs(started) / 1000;
  started = now();
  const others = sampledGroups.slice(1).flatMap((_, k) => writesOf(k + 1));
  await writeShards(others);
  const othersSeconds = elapsedMs(started) / 1000;
  log(
    `raw floor: ${everyone.length} shards of the all-staff group in ${everyoneSeconds.toFixed(1)} s, ${others.length} of other groups in ${othersSeconds.toFixed(1)} s`,
  );
  const sampled = sampledUsers.length / company.users;
  const groupFraction = sampledGroups.length / company.members.length;
  return {
    fraction: sampled,
    usersSeconds: usersSeconds / sampled,
    groupsSeconds: groupsSeconds / groupFraction,
    shardsSeconds: everyoneSeconds + othersSeconds / groupFraction,
    writes: 2 * sampledUsers.length + 2 * sampledGroups.length + everyone.length + others.length,
  };
}
