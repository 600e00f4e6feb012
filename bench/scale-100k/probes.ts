/**
 * The latencies measured at full size, one request at a time so that each sample is one request's own time: lookups
 * by each indexed attribute beside one raw GET, member add and remove in the all-staff group, and deprovisioning
 * (`PATCH active "False"` acknowledged -> a SubjectAccessReview denies) while the sync is still running.
 */

import type { KubeConfig } from '@kubernetes/client-node';
import { type ScimUser, scimUserKind } from '../../src/api/scim-user.ts';
import { ResourceClient } from '../../src/store/kube-client.ts';
import type { ScimCall } from '../support/endpoint.ts';
import { elapsedMs, now } from '../support/measure.ts';
import type { OperatorProcess } from '../support/operator-process.ts';
import { entraUser } from './dataset.ts';
import { PATCH_OP } from './sync.ts';

export interface Probe {
  name: string;
  samples: number[];
  /** API requests the endpoint sent per sample, from its store counter. */
  requestsPerSample: number;
}

const storeRequests = async (operator: OperatorProcess) =>
  (await operator.scrape()).sum('scim_operator_store_api_requests_total');

async function timed(
  operator: OperatorProcess,
  name: string,
  count: number,
  once: (k: number) => Promise<void>,
): Promise<Probe> {
  const before = await storeRequests(operator);
  const samples: number[] = [];
  for (let k = 0; k < count; k++) {
    const sent = now();
    await once(k);
    samples.push(elapsedMs(sent));
  }
  return { name, samples, requestsPerSample: ((await storeRequests(operator)) - before) / count };
}

const expectOne = (reply: { status: number; body: { totalResults?: number } }, what: string) => {
  if (reply.status !== 200 || reply.body?.totalResults !== 1) {
    throw new Error(`${what} answered ${reply.status} with ${reply.body?.totalResults} results`);
  }
};

export async function lookupProbes(
  call: ScimCall,
  operator: OperatorProcess,
  kc: KubeConfig,
  pick: (k: number) => { user: number; id: string },
  groupName: (k: number) => string,
  count: number,
): Promise<{ lookups: Probe[]; rawGet: Probe }> {
  const filter = (resource: string, expression: string, extra = '') =>
    `/${resource}?filter=${encodeURIComponent(expression)}${extra}`;
  const lookups: Probe[] = [];
  const byUser = async (name: string, expression: (u: ReturnType<typeof entraUser>) => string) =>
    lookups.push(
      await timed(operator, name, count, async (k) => {
        const reply = await call('GET', filter('Users', expression(entraUser(pick(k).user))));
        expectOne(reply, name);
      }),
    );
  await byUser('userName eq', (u) => `userName eq "${u.userName}"`);
  await byUser('externalId eq', (u) => `externalId eq "${u.externalId}"`);
  await byUser('emails[type eq "work"].value eq', (u) => `emails[type eq "work"].value eq "${u.emails[0]!.value}"`);
  lookups.push(
    await timed(operator, 'group displayName eq', count, async (k) => {
      const reply = await call(
        'GET',
        filter('Groups', `displayName eq "${groupName(k)}"`, '&excludedAttributes=members'),
      );
      expectOne(reply, 'group displayName eq');
    }),
  );
  const users = new ResourceClient<ScimUser>(kc, scimUserKind.kind, scimUserKind.plural);
  const samples: number[] = [];
  for (let k = 0; k < count; k++) {
    const sent = now();
    await users.get(pick(k).id);
    samples.push(elapsedMs(sent));
  }
  return { lookups, rawGet: { name: 'raw GET of one ScimUser (pooled client)', samples, requestsPerSample: 1 } };
}

/** Removes, then adds back, one member at a time in the group holding everyone. */
export async function memberProbes(
  call: ScimCall,
  operator: OperatorProcess,
  groupId: string,
  memberId: (k: number) => string,
  count: number,
): Promise<Probe[]> {
  const change = (op: 'Add' | 'Remove', id: string) => async () => {
    const reply = await call('PATCH', `/Groups/${groupId}`, {
      schemas: [PATCH_OP],
      Operations: [{ op, path: 'members', value: [{ value: id }] }],
    });
    if (reply.status !== 204 && reply.status !== 200) throw new Error(`member ${op} answered ${reply.status}`);
  };
  const remove = await timed(operator, 'member remove', count, (k) => change('Remove', memberId(k))());
  const add = await timed(operator, 'member add', count, (k) => change('Add', memberId(k))());
  return [add, remove];
}

export interface DeprovisionResult {
  samples: number[];
  /** Samples whose PATCH was sent before the sync's last write. */
  duringSync: number;
  /** Wall-clock time of the last deprovisioning PATCH's response (a SCIM write too). */
  lastPatchAt: number;
}

/**
 * Deprovisions `users` one after another. Each is first waited on until a SubjectAccessReview allows it (its grant
 * may still be on its way during the sync); the clock runs from the PATCH's response to the first denying review.
 */
export async function deprovisionProbes(
  call: ScimCall,
  can: (userName: string) => Promise<boolean>,
  users: { user: number; id: string }[],
  syncRunning: () => boolean,
): Promise<DeprovisionResult> {
  const samples: number[] = [];
  let duringSync = 0;
  let lastPatchAt = 0;
  for (const { user, id } of users) {
    const { userName } = entraUser(user);
    const granted = Date.now() + 600_000;
    while (!(await can(userName))) {
      if (Date.now() > granted) throw new Error(`${userName} was not granted access within 600 s`);
      await new Promise((r) => setTimeout(r, 200));
    }
    if (syncRunning()) duringSync++;
    const reply = await call('PATCH', `/Users/${id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
    });
    const acknowledged = now();
    lastPatchAt = Date.now();
    if (reply.status !== 200 || reply.body.active !== false) throw new Error(`PATCH /Users answered ${reply.status}`);
    // A slow revocation is the figure being measured, not a reason to stop: wait up to 10 minutes, and report a user
    // still allowed then as a sample of 10 minutes (a lower bound), loudly.
    while (await can(userName)) {
      if (elapsedMs(acknowledged) > 600_000) {
        console.error(`${userName} still had access 600 s after its deactivation was acknowledged`);
        break;
      }
    }
    samples.push(elapsedMs(acknowledged));
  }
  return { samples, duringSync, lastPatchAt };
}
