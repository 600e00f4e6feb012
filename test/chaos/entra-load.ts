import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { EntraClient, ScimReply } from './entra-client.ts';
import type { Ledger, UserRecord } from './ledger.ts';
import type { Random } from './seeded-random.ts';

const fixtures = path.resolve(import.meta.dirname, '../fixtures/entra');
// biome-ignore lint/suspicious/noExplicitAny: the recorded Entra payloads are templates edited per request
const fixture = (name: string): any => JSON.parse(readFileSync(path.join(fixtures, name), 'utf8'));

/** Entra's literal request shapes (test/fixtures/entra), with our names and ids filled in. */
export const entraRequests = {
  createUser(userName: string, externalId: string) {
    const body = fixture('user-create.json');
    body.userName = userName;
    body.externalId = externalId;
    body.emails[0].value = userName;
    return body;
  },
  createGroup(displayName: string, externalId: string) {
    const body = fixture('group-create.json');
    body.displayName = displayName;
    body.externalId = externalId;
    return body;
  },
  addMember(userId: string) {
    const body = fixture('group-patch-add-member.json');
    body.Operations[0].value[0].value = userId;
    return body;
  },
  removeMember(userId: string) {
    const body = fixture('group-patch-remove-member.default.json');
    body.Operations[0].value[0].value = userId;
    return body;
  },
  /** `"False"` deactivates (Entra's default, non-flag shape); `"True"` reactivates. */
  setActive(active: boolean) {
    const body = fixture('user-patch-disable.default.json');
    body.Operations[0].value = active ? 'True' : 'False';
    return body;
  },
};

export interface LoadContext {
  client: EntraClient;
  index: number;
  random: Random;
  ledger: Ledger;
  groupId: string;
  /** False once the chaos window is over: the client finishes its current operation and stops. */
  keepGoing: () => boolean;
  maxOperations: number;
}

const ok = (reply: ScimReply | undefined) => reply !== undefined && reply.status >= 200 && reply.status < 300;

/** A reply that is neither 2xx nor one the operation expects; the invariant table counts them. */
export interface UnexpectedReply {
  client: number;
  operation: string;
  userName: string;
  status: number;
  detail: string;
}

/**
 * One IdP client's share of the load: it owns a few users and, chosen by its seeded random, creates them, adds
 * them to and removes them from the mapped group, deactivates (`active "False"`) and reactivates them, deletes
 * some and provisions them again under the same userName, until the chaos window ends or `maxOperations` is
 * reached. Writes about one user are sequential; writes
 * to the group's membership run concurrently across clients.
 */
export async function runEntraClient(ctx: LoadContext, unexpected: UnexpectedReply[]): Promise<number> {
  const { client, random, ledger } = ctx;
  let operations = 0;
  const unexpectedReply = (operation: string, user: UserRecord, reply: ScimReply) =>
    unexpected.push({
      client: ctx.index,
      operation,
      userName: user.userName,
      status: reply.status,
      detail: JSON.stringify(reply.body ?? '').slice(0, 200),
    });

  const create = async (user: UserRecord) => {
    ledger.intend(user, 'exists', true);
    const reply = await client.send(
      'POST',
      '/Users',
      entraRequests.createUser(user.userName, crypto.randomUUID()),
      `create ${user.userName}`,
    );
    if (reply?.status === 201) {
      user.id = reply.body.id;
      ledger.acknowledge(user, 'exists', true);
      ledger.acknowledge(user, 'active', true);
      return;
    }
    if (reply?.status === 409) {
      // An earlier attempt whose reply was lost created it: match it by userName, as Entra does before creating.
      const filter = encodeURIComponent(`userName eq "${user.userName}"`);
      const found = await client.send('GET', `/Users?filter=${filter}`, undefined, `match ${user.userName}`);
      const resource = found?.status === 200 ? found.body.Resources?.[0] : undefined;
      if (resource) {
        user.id = resource.id;
        ledger.acknowledge(user, 'exists', true);
        ledger.intend(user, 'active', resource.active !== false);
        return;
      }
    }
    if (reply) unexpectedReply('create', user, reply);
  };

  const setMember = async (user: UserRecord, member: boolean) => {
    ledger.intend(user, 'member', member);
    const body = member ? entraRequests.addMember(user.id!) : entraRequests.removeMember(user.id!);
    const label = `${member ? 'add' : 'remove'} member ${user.userName}`;
    const reply = await client.send('PATCH', `/Groups/${ctx.groupId}`, body, label);
    if (ok(reply)) ledger.acknowledge(user, 'member', member);
    else if (reply) unexpectedReply(member ? 'add member' : 'remove member', user, reply);
  };

  const setActive = async (user: UserRecord, active: boolean) => {
    ledger.intend(user, 'active', active);
    const label = `${active ? 'reactivate' : 'deactivate'} ${user.userName}`;
    const reply = await client.send('PATCH', `/Users/${user.id}`, entraRequests.setActive(active), label);
    if (ok(reply)) ledger.acknowledge(user, 'active', active);
    else if (reply) unexpectedReply(active ? 'reactivate' : 'deactivate', user, reply);
  };

  const remove = async (user: UserRecord) => {
    ledger.intend(user, 'exists', false);
    const reply = await client.send('DELETE', `/Users/${user.id}`, undefined, `delete ${user.userName}`);
    // 404 after an attempt whose reply was lost: the user is gone, which is what was asked.
    if (ok(reply) || reply?.status === 404) ledger.acknowledge(user, 'exists', false);
    else if (reply) unexpectedReply('delete', user, reply);
  };

  while (ctx.keepGoing() && operations < ctx.maxOperations) {
    const picked = random.pick(ledger.usersOf(ctx.index));
    const gone = picked.exists.certain && !picked.exists.value && picked.id !== undefined;
    const user = gone ? ledger.reprovision(picked) : picked;
    const roll = random.next();
    operations++;
    if (user.id === undefined) await create(user);
    else if (!user.exists.value) await remove(user);
    else if (!user.member.value && roll < 0.6) await setMember(user, true);
    else if (roll < 0.3) await setActive(user, !user.active.value);
    else if (roll < 0.55) await setMember(user, !user.member.value);
    else if (roll < 0.6) await remove(user);
    else if (!user.active.value || !user.member.value) await setActive(user, !user.active.value);
    else await setActive(user, false);
    await new Promise((r) => setTimeout(r, random.int(100, 600)));
  }
  return operations;
}
