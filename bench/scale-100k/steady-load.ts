/**
 * Steady load after the initial sync: what an IdP's incremental cycles send once the directory is provisioned, so
 * that "controllers' API requests per SCIM change at steady load" is measured on the traffic it names rather than on
 * the sync (where every user is new and gains access once). The mix, drawn from a seeded PRNG so every run sends the
 * same requests:
 *
 * - 60 % attribute changes: Entra's U5 form (`Replace` of the work email's value and `name.familyName`) or a title;
 * - 20 % membership changes in a group other than all-staff, half adds and half removes (every group is mapped in
 *   this company, so each one grants or revokes);
 * - 10 % joiners: `POST /Users`, then `PATCH` adding them to the all-staff group (two changes);
 * - 10 % leavers: `PATCH active "False"`.
 *
 * This is richer in access changes than a real cycle (joiners and leavers are a few per cent of a month's changes),
 * so the figure errs on the high side.
 */

import type { ScimCall } from '../support/endpoint.ts';
import { elapsedMs, inParallel, log, now } from '../support/measure.ts';
import { type Company, entraUser, prng } from './dataset.ts';
import { PATCH_OP, type SyncResult } from './sync.ts';

export type SteadyKind = 'attribute' | 'member add' | 'member remove' | 'joiner' | 'leaver';

export interface SteadyResult {
  /** SCIM requests that changed something, by kind (a joiner counts its POST and its PATCH). */
  sent: Record<SteadyKind, number>;
  changes: number;
  seconds: number;
  lastWriteAt: number;
}

interface Plan {
  kind: SteadyKind;
  user: number;
  group?: number;
}

/** Draws `count` operations; users in `exclude` (already deactivated) are never drawn. */
export function planSteadyLoad(company: Company, count: number, exclude: ReadonlySet<number>, seed = 15): Plan[] {
  const random = prng(seed);
  const pickUser = () => {
    for (;;) {
      const user = Math.floor(random() * company.users);
      if (!exclude.has(user) && !leaving.has(user)) return user;
    }
  };
  const leaving = new Set<number>();
  const memberOf = new Map<number, Set<number>>();
  const members = (g: number) => {
    let set = memberOf.get(g);
    if (!set) {
      set = new Set(company.members[g]);
      memberOf.set(g, set);
    }
    return set;
  };
  const plans: Plan[] = [];
  let joiners = 0;
  while (plans.length < count) {
    const roll = random();
    if (roll < 0.6) plans.push({ kind: 'attribute', user: pickUser() });
    else if (roll < 0.8) {
      const group = 1 + Math.floor(random() * (company.members.length - 1));
      const set = members(group);
      // Half the membership changes remove a current member, half add someone who is not one.
      if (random() < 0.5 && set.size > 0) {
        const user = [...set][Math.floor(random() * set.size)]!;
        if (exclude.has(user) || leaving.has(user)) continue;
        set.delete(user);
        plans.push({ kind: 'member remove', user, group });
      } else {
        const user = pickUser();
        if (set.has(user)) continue;
        set.add(user);
        plans.push({ kind: 'member add', user, group });
      }
    } else if (roll < 0.9) plans.push({ kind: 'joiner', user: company.users + joiners++ });
    else {
      const user = pickUser();
      leaving.add(user);
      plans.push({ kind: 'leaver', user });
    }
  }
  return plans;
}

export async function steadyLoad(
  call: ScimCall,
  sync: SyncResult,
  plans: Plan[],
  concurrency: number,
): Promise<SteadyResult> {
  const sent: Record<SteadyKind, number> = {
    attribute: 0,
    'member add': 0,
    'member remove': 0,
    joiner: 0,
    leaver: 0,
  };
  const expect = (reply: { status: number; body: unknown }, what: string, ok: number[]) => {
    if (!ok.includes(reply.status)) throw new Error(`${what} answered ${reply.status}: ${JSON.stringify(reply.body)}`);
  };
  const patch = (resource: string, id: string, Operations: unknown[]) =>
    call('PATCH', `/${resource}/${id}`, { schemas: [PATCH_OP], Operations });
  const started = now();
  let lastWriteAt = 0;
  await inParallel(plans.length, concurrency, async (k) => {
    const plan = plans[k]!;
    const userId = () => sync.userIds[plan.user]!;
    switch (plan.kind) {
      case 'attribute': {
        const { name } = entraUser(plan.user);
        const ops =
          k % 2
            ? [
                {
                  op: 'Replace',
                  path: 'emails[type eq "work"].value',
                  value: `moved${k}.${plan.user}@contoso.example`,
                },
                { op: 'Replace', path: 'name.familyName', value: `${name.familyName}-${k}` },
              ]
            : [{ op: 'Replace', path: 'title', value: `Title ${k}` }];
        expect(await patch('Users', userId(), ops), 'attribute PATCH', [200, 204]);
        sent.attribute++;
        break;
      }
      case 'member add':
      case 'member remove': {
        const op = plan.kind === 'member add' ? 'Add' : 'Remove';
        const reply = await patch('Groups', sync.groupIds[plan.group!]!, [
          { op, path: 'members', value: [{ value: userId() }] },
        ]);
        expect(reply, `member ${op}`, [200, 204]);
        sent[plan.kind]++;
        break;
      }
      case 'joiner': {
        const created = await call('POST', '/Users', entraUser(plan.user));
        expect(created, 'joiner POST /Users', [201]);
        const added = await patch('Groups', sync.groupIds[0]!, [
          { op: 'Add', path: 'members', value: [{ value: created.body.id }] },
        ]);
        expect(added, 'joiner member Add', [200, 204]);
        sent.joiner += 2;
        break;
      }
      case 'leaver':
        expect(
          await patch('Users', userId(), [{ op: 'Replace', path: 'active', value: 'False' }]),
          'leaver PATCH',
          [200, 204],
        );
        sent.leaver++;
        break;
    }
    lastWriteAt = Date.now();
  });
  const changes = Object.values(sent).reduce((a, b) => a + b, 0);
  const seconds = elapsedMs(started) / 1000;
  log(`steady load: ${changes} SCIM changes in ${seconds.toFixed(1)} s`);
  return { sent, changes, seconds, lastWriteAt };
}
