/**
 * The ScimStore contract (the numbered rules in `src/scim/store.ts`) as a reusable suite: one test per rule, named
 * after it, plus the concurrency cases the SCIM layer depends on. Every test works in its own fresh connection with
 * random names, so the suite can run in parallel against one shared real backend.
 *
 * `makeStores` returns two store instances over the same backend (for the memory store: one instance twice);
 * rule 1 and the concurrency tests write through one and read or race through the other.
 */

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ScimError } from '../../src/scim/errors.ts';
import type { ScimStore, StoreContext, StoredResource } from '../../src/scim/store.ts';

export interface ContractStores {
  a: ScimStore;
  b: ScimStore;
  cleanup(): Promise<void>;
  /** Makes the backend unavailable until the returned function is called; rule 6's outage test needs it. */
  simulateOutage(): Promise<() => Promise<void>>;
}

export interface ContractOptions {
  /** Members in the large-group test; the memory store uses the default of 2,000. */
  bigGroupSize?: number;
}

const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function scimStoreContract(
  name: string,
  makeStores: () => Promise<ContractStores>,
  options: ContractOptions = {},
): void {
  const bigGroupSize = options.bigGroupSize ?? 2000;

  describe(`ScimStore contract: ${name}`, () => {
    let stores: ContractStores;
    beforeAll(async () => {
      stores = await makeStores();
    });
    afterAll(async () => {
      await stores?.cleanup();
    });

    const a = () => stores.a;
    const b = () => stores.b;

    it('rule 1: a write through one instance is read back through the other', async () => {
      const ctx = connection();
      const user = await a().create(ctx, 'User', { userName: unique('reader') });
      expect((await b().get(ctx, 'User', user.id))?.attributes).toEqual(user.attributes);
      expect(ids(await a().query(ctx, 'User', { kind: 'all' }))).toContain(user.id);
      expect(
        ids(
          await b().query(ctx, 'User', { kind: 'eq', attribute: 'userName', value: String(user.attributes.userName) }),
        ),
      ).toContain(user.id);
      await vi.waitFor(async () => expect(ids(await b().query(ctx, 'User', { kind: 'all' }))).toContain(user.id), {
        timeout: 5_000,
      });

      const email = `${unique('mail')}@example.com`;
      const mailed = await a().create(ctx, 'User', {
        userName: unique('mailed'),
        emails: [{ value: email, type: 'work', primary: true }],
      });
      expect(
        ids(await b().query(ctx, 'User', { kind: 'eq', attribute: 'emails.value', value: email.toUpperCase() })),
      ).toContain(mailed.id);

      const renamed = await b().replace(ctx, 'User', user.id, { userName: unique('renamed') });
      expect((await a().get(ctx, 'User', user.id))?.version).toBe(renamed.version);

      const group = await a().create(ctx, 'Group', { displayName: unique('group') });
      await a().changeMembers(ctx, group.id, { add: [{ value: user.id, type: 'User' }] });
      expect(await b().getMembers(ctx, group.id)).toEqual([{ value: user.id, type: 'User' }]);
      expect(await b().groupsOf(ctx, user.id)).toEqual([{ id: group.id, displayName: group.attributes.displayName }]);

      await b().delete(ctx, 'Group', group.id);
      expect(await a().get(ctx, 'Group', group.id)).toBeUndefined();
    });

    it('rule 2: ids are DNS-1123 labels, stable across writes and never reused', async () => {
      const ctx = connection();
      const userName = unique('stable');
      const first = await a().create(ctx, 'User', { userName });
      expect(first.id).toMatch(DNS_1123_LABEL);
      const replaced = await a().replace(ctx, 'User', first.id, { userName, displayName: 'Changed' });
      expect(replaced.id).toBe(first.id);
      await a().delete(ctx, 'User', first.id);
      const second = await a().create(ctx, 'User', { userName });
      expect(second.id).toMatch(DNS_1123_LABEL);
      expect(second.id).not.toBe(first.id);
    });

    it('rule 3: the same userName in another case is refused with 409 uniqueness', async () => {
      const ctx = connection();
      const userName = unique('Case.User@Example.com');
      const original = await a().create(ctx, 'User', { userName });
      await expectScimError(a().create(ctx, 'User', { userName: userName.toUpperCase() }), 409, 'uniqueness');
      const other = await a().create(ctx, 'User', { userName: unique('other') });
      await expectScimError(
        a().replace(ctx, 'User', other.id, { userName: userName.toLowerCase() }),
        409,
        'uniqueness',
      );
      expect((await a().get(ctx, 'User', original.id))?.attributes.userName).toBe(userName);
    });

    it('rule 3: the same displayName in another case is refused for Groups, but allowed in another connection', async () => {
      const ctx = connection();
      const displayName = unique('Engineering');
      await a().create(ctx, 'Group', { displayName });
      await expectScimError(b().create(ctx, 'Group', { displayName: displayName.toLowerCase() }), 409, 'uniqueness');
      const elsewhere = await a().create(connection(), 'Group', { displayName });
      expect(elsewhere.attributes.displayName).toBe(displayName);
    });

    it('rule 3: concurrent creates of one userName on two instances let exactly one win', async () => {
      const ctx = connection();
      const userName = unique('race');
      const results = await Promise.allSettled([
        a().create(ctx, 'User', { userName }),
        b().create(ctx, 'User', { userName: userName.toUpperCase() }),
      ]);
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      const [rejected] = results.filter((result) => result.status === 'rejected');
      expectUniqueness(rejected?.reason);
      // The winner may be either instance; full listings converge across instances (rule 1).
      for (const store of [a(), b()]) {
        await vi.waitFor(async () => expect(await store.query(ctx, 'User', { kind: 'all' })).toHaveLength(1), {
          timeout: 5_000,
        });
        expect(await store.query(ctx, 'User', { kind: 'all' })).toHaveLength(1);
      }
    });

    it('rule 4: every change, member changes included, gives a new version', async () => {
      const ctx = connection();
      const user = await a().create(ctx, 'User', { userName: unique('versioned') });
      const replaced = await a().replace(ctx, 'User', user.id, { userName: user.attributes.userName, title: 'CTO' });
      expect(replaced.version).not.toBe(user.version);

      const group = await a().create(ctx, 'Group', { displayName: unique('versioned') });
      const added = await a().changeMembers(ctx, group.id, { add: [{ value: user.id, type: 'User' }] });
      expect(added.version).not.toBe(group.version);
      const removed = await a().changeMembers(ctx, group.id, { remove: [user.id] });
      expect(removed.version).not.toBe(added.version);
      expect((await b().get(ctx, 'Group', group.id))?.version).toBe(removed.version);
    });

    it('rule 4: a write that changes nothing keeps the version', async () => {
      const ctx = connection();
      const user = await a().create(ctx, 'User', { userName: unique('unchanged'), title: 'CTO' });
      const same = await a().replace(ctx, 'User', user.id, { ...user.attributes }, { ifMatch: user.version });
      expect(same.version).toBe(user.version);
      const group = await a().create(ctx, 'Group', { displayName: unique('unchanged') });
      const added = await a().changeMembers(ctx, group.id, { add: [{ value: user.id, type: 'User' }] });
      const again = await b().changeMembers(ctx, group.id, { add: [{ value: user.id }], remove: [randomUUID()] });
      expect(again.version).toBe(added.version);
      expect((await b().get(ctx, 'Group', group.id))?.version).toBe(added.version);
    });

    it('rule 4: a write with a stale ifMatch fails with 412 and one with the current version succeeds', async () => {
      const ctx = connection();
      const user = await a().create(ctx, 'User', { userName: unique('etag') });
      const current = await a().replace(ctx, 'User', user.id, { ...user.attributes, title: 'one' });
      const stale = { ifMatch: user.version };
      await expectScimError(b().replace(ctx, 'User', user.id, { ...user.attributes, title: 'two' }, stale), 412);
      await expectScimError(b().delete(ctx, 'User', user.id, stale), 412);
      const group = await a().create(ctx, 'Group', { displayName: unique('etag') });
      const grown = await a().changeMembers(ctx, group.id, { add: [{ value: user.id, type: 'User' }] });
      await expectScimError(b().changeMembers(ctx, group.id, { remove: 'all' }, { ifMatch: group.version }), 412);

      const updated = await b().replace(
        ctx,
        'User',
        user.id,
        { ...user.attributes, title: 'two' },
        {
          ifMatch: current.version,
        },
      );
      expect(updated.attributes.title).toBe('two');
      await b().changeMembers(ctx, group.id, { remove: 'all' }, { ifMatch: grown.version });
      expect(await a().getMembers(ctx, group.id)).toEqual([]);
    });

    it('rule 5: a resource of one connection is invisible to every other connection', async () => {
      const owner = connection();
      const stranger = connection();
      const user = await a().create(owner, 'User', { userName: unique('private') });
      const group = await a().create(owner, 'Group', { displayName: unique('private') }, [
        { value: user.id, type: 'User' },
      ]);

      expect(await b().get(stranger, 'User', user.id)).toBeUndefined();
      expect(await b().get(stranger, 'Group', group.id)).toBeUndefined();
      expect(ids(await b().query(stranger, 'User', { kind: 'all' }))).not.toContain(user.id);
      const byName = { kind: 'eq', attribute: 'userName', value: String(user.attributes.userName) } as const;
      expect(await b().query(stranger, 'User', byName)).toEqual([]);
      expect(await b().groupsOf(stranger, user.id)).toEqual([]);
      await expectScimError(b().getMembers(stranger, group.id), 404);
      await expectScimError(b().replace(stranger, 'User', user.id, { userName: unique('hijack') }), 404);
      await expectScimError(b().changeMembers(stranger, group.id, { remove: 'all' }), 404);
      await expectScimError(b().delete(stranger, 'User', user.id), 404);
      expect(await a().getMembers(owner, group.id)).toEqual([{ value: user.id, type: 'User' }]);
    });

    it('rule 6: a refused write leaves no trace', async () => {
      const ctx = connection();
      const user = await a().create(ctx, 'User', { userName: unique('whole') });
      const other = await a().create(ctx, 'User', { userName: unique('other') });
      const clash = { userName: other.attributes.userName, title: 'should not land' };
      await expectScimError(a().replace(ctx, 'User', user.id, clash), 409);
      await expectScimError(a().create(ctx, 'User', clash), 409);
      const group = await a().create(ctx, 'Group', { displayName: unique('whole') });
      await expectScimError(a().changeMembers(ctx, group.id, { add: [{ value: user.id }] }, { ifMatch: 'stale' }), 412);

      expect(await b().get(ctx, 'User', user.id)).toEqual(user);
      expect(await a().query(ctx, 'User', { kind: 'all' })).toHaveLength(2);
      expect(await b().getMembers(ctx, group.id)).toEqual([]);
    });

    it('rule 6: an unavailable backend answers 503, never 404', async () => {
      const ctx = connection();
      const user = await a().create(ctx, 'User', { userName: unique('outage') });
      const restore = await stores.simulateOutage();
      try {
        await expectScimError(a().get(ctx, 'User', user.id), 503);
        await expectScimError(a().replace(ctx, 'User', user.id, { userName: unique('x') }), 503);
        await expectScimError(a().delete(ctx, 'User', user.id), 503);
      } finally {
        await restore();
      }
      expect(await a().get(ctx, 'User', user.id)).toEqual(user);
    });

    it('rule 7: adding a present member and removing an absent one are no-ops', async () => {
      const ctx = connection();
      const [alice, bob] = await createUsers(a(), ctx, 2);
      const group = await a().create(ctx, 'Group', { displayName: unique('idempotent') }, [member(alice!)]);
      await a().changeMembers(ctx, group.id, { add: [member(alice!)], remove: [bob!.id] });
      expect(await b().getMembers(ctx, group.id)).toEqual([member(alice!)]);
      await a().changeMembers(ctx, group.id, { remove: [alice!.id], add: [member(alice!), member(bob!)] });
      expect(ids(await b().getMembers(ctx, group.id)).sort()).toEqual([alice!.id, bob!.id].sort());
    });

    it(`rule 7: adding and removing one member of a ${bigGroupSize}-member group keeps all the others`, async () => {
      const ctx = connection();
      const users = await createUsers(a(), ctx, bigGroupSize + 1);
      const newcomer = users.pop()!;
      const group = await a().create(ctx, 'Group', { displayName: unique('big') }, users.map(member));

      await a().changeMembers(ctx, group.id, { add: [member(newcomer)] });
      const leaver = users[Math.floor(users.length / 2)]!;
      await b().changeMembers(ctx, group.id, { remove: [leaver.id] });

      const expected = new Set([...users.map((user) => user.id), newcomer.id]);
      expected.delete(leaver.id);
      const members = await a().getMembers(ctx, group.id);
      expect(members).toHaveLength(expected.size);
      expect(new Set(ids(members))).toEqual(expected);
    }, 300_000);

    it('rule 7: ten concurrent member additions through two instances all land', async () => {
      const ctx = connection();
      const users = await createUsers(a(), ctx, 10);
      const group = await a().create(ctx, 'Group', { displayName: unique('concurrent') });
      await Promise.all(
        users.map((user, index) => (index % 2 ? a() : b()).changeMembers(ctx, group.id, { add: [member(user)] })),
      );
      expect(ids(await a().getMembers(ctx, group.id)).sort()).toEqual(ids(users).sort());
    });

    it('rule 8: query returns every possible match in a stable order by created, then id', async () => {
      const ctx = connection();
      const users = await createUsers(a(), ctx, 5, { withEmail: true });
      await vi.waitFor(async () => expect(await b().query(ctx, 'User', { kind: 'all' })).toHaveLength(users.length), {
        timeout: 5_000,
      });
      const all = await b().query(ctx, 'User', { kind: 'all' });
      expect(new Set(ids(all))).toEqual(new Set(ids(users)));
      expect(ids(all)).toEqual(ids([...all].sort(byCreatedThenId)));
      expect(ids(await a().query(ctx, 'User', { kind: 'all' }))).toEqual(ids(all));

      const target = users[2]!;
      const plans = [
        { kind: 'eq', attribute: 'id', value: target.id },
        { kind: 'eq', attribute: 'userName', value: String(target.attributes.userName).toUpperCase() },
        { kind: 'eq', attribute: 'emails.value', value: (target.attributes.emails as { value: string }[])[0]!.value },
      ] as const;
      for (const plan of plans) expect(ids(await b().query(ctx, 'User', plan))).toContain(target.id);
    });
  });
}

function connection(): StoreContext {
  return { connection: `contract-${randomUUID().slice(0, 8)}` };
}

function unique(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

function member(user: StoredResource) {
  return { value: user.id, type: 'User' as const };
}

function ids(items: { id?: string; value?: string }[]): string[] {
  return items.map((item) => item.id ?? item.value ?? '');
}

function byCreatedThenId(x: StoredResource, y: StoredResource): number {
  return x.created.localeCompare(y.created) || x.id.localeCompare(y.id);
}

async function createUsers(
  store: ScimStore,
  ctx: StoreContext,
  count: number,
  { withEmail = false } = {},
): Promise<StoredResource[]> {
  const users: StoredResource[] = [];
  for (let start = 0; start < count; start += 50) {
    const batch = Array.from({ length: Math.min(50, count - start) }, () => {
      const userName = unique('user');
      return store.create(
        ctx,
        'User',
        withEmail ? { userName, emails: [{ value: `${userName}@example.com` }] } : { userName },
      );
    });
    users.push(...(await Promise.all(batch)));
  }
  return users;
}

async function expectScimError(promise: Promise<unknown>, status: number, scimType?: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error, `expected a ScimError ${status}`).toBeInstanceOf(ScimError);
  expect((error as ScimError).status).toBe(status);
  if (scimType) expect((error as ScimError).scimType).toBe(scimType);
}

function expectUniqueness(error: unknown): void {
  expect(error).toBeInstanceOf(ScimError);
  expect((error as ScimError).status).toBe(409);
  expect((error as ScimError).scimType).toBe('uniqueness');
}
