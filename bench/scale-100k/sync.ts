/**
 * The initial sync in Entra's order: every user POSTed, then every group POSTed without members, then members added
 * by PATCH in batches. A group's batches go out one after another from one client (Entra works through one object at
 * a time per thread); the 16 clients take groups largest first, so the 100,000-member group (users in index order)
 * starts at once.
 */

import type { ScimCall } from '../support/endpoint.ts';
import { elapsedMs, inParallel, log, now } from '../support/measure.ts';
import { type Company, entraUser } from './dataset.ts';

export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
/** Members per PATCH; Entra sends several per request (its batch size is undocumented). */
export const MEMBER_BATCH = Number(process.env.BENCH_MEMBER_BATCH ?? 50);

export interface SyncResult {
  userIds: string[];
  groupIds: string[];
  usersSeconds: number;
  groupsSeconds: number;
  membersSeconds: number;
  totalSeconds: number;
  /** SCIM requests that changed something: user POSTs, group POSTs and member PATCHes. */
  changes: number;
  memberPatches: number;
  /** Wall-clock time of the last SCIM write's response. */
  lastWriteAt: number;
}

export async function pushCompany(
  company: Company,
  call: ScimCall,
  concurrency: number,
  /** Called once every user and group exists, as the member PATCHes start. */
  onMembersStart: (userIds: string[], groupIds: string[]) => void = () => {},
): Promise<SyncResult> {
  const started = now();
  const userIds: string[] = new Array(company.users);
  let done = 0;
  await inParallel(company.users, concurrency, async (i) => {
    const reply = await call('POST', '/Users', entraUser(i));
    if (reply.status !== 201) throw new Error(`POST /Users answered ${reply.status}: ${JSON.stringify(reply.body)}`);
    userIds[i] = reply.body.id;
    if (++done % 10_000 === 0) log(`  ${done} users POSTed`);
  });
  const usersSeconds = elapsedMs(started) / 1000;
  log(`${company.users} users POSTed in ${usersSeconds.toFixed(1)} s`);

  const groupIds: string[] = new Array(company.members.length);
  await inParallel(company.members.length, concurrency, async (g) => {
    const reply = await call('POST', '/Groups', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      externalId: `group-${g}`,
      displayName: company.groupNames[g],
      members: [],
    });
    if (reply.status !== 201) throw new Error(`POST /Groups answered ${reply.status}: ${JSON.stringify(reply.body)}`);
    groupIds[g] = reply.body.id;
  });
  const groupsSeconds = elapsedMs(started) / 1000 - usersSeconds;
  log(`${company.members.length} groups POSTed in ${groupsSeconds.toFixed(1)} s`);

  const order = company.members.map((m, g) => ({ g, size: m.length })).sort((a, b) => b.size - a.size);
  let memberPatches = 0;
  const membersStarted = now();
  onMembersStart(userIds, groupIds);
  await inParallel(order.length, concurrency, async (k) => {
    const { g } = order[k]!;
    const members = company.members[g]!;
    for (let start = 0; start < members.length; start += MEMBER_BATCH) {
      const value = members.slice(start, start + MEMBER_BATCH).map((u) => ({ value: userIds[u]! }));
      const reply = await call('PATCH', `/Groups/${groupIds[g]}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'Add', path: 'members', value }],
      });
      if (reply.status !== 204 && reply.status !== 200) {
        throw new Error(`PATCH /Groups answered ${reply.status}: ${JSON.stringify(reply.body)}`);
      }
      memberPatches++;
    }
  });
  const membersSeconds = elapsedMs(membersStarted) / 1000;
  log(`${memberPatches} member PATCHes (${company.memberships} members) in ${membersSeconds.toFixed(1)} s`);
  return {
    userIds,
    groupIds,
    usersSeconds,
    groupsSeconds,
    membersSeconds,
    totalSeconds: elapsedMs(started) / 1000,
    changes: company.users + company.members.length + memberPatches,
    memberPatches,
    lastWriteAt: Date.now(),
  };
}
