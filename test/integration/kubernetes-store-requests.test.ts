import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { QueryPlan, StoredResource } from '../../src/scim/store.ts';
import { KubernetesScimStore } from '../../src/store/kubernetes-store.ts';
import { shardName } from '../../src/store/member-shards.ts';
import { adminKubeConfig, uniqueName } from '../support/cluster.ts';

/**
 * What the store's request path costs on a real API server (issue 15, docs/adr/0019): exact API request counts with a
 * warm cache, and lookups on one replica right after writes through another. `a` and `b` are two store instances,
 * each with its own informers, as two replicas are.
 */
describe('the Kubernetes store request path', () => {
  let a: KubernetesScimStore;
  let b: KubernetesScimStore;
  beforeAll(async () => {
    a = new KubernetesScimStore({ kc: adminKubeConfig() });
    b = new KubernetesScimStore({ kc: adminKubeConfig() });
    await Promise.all([a.start(), b.start()]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  /** The ids a lookup answers, and the API requests it cost. */
  async function lookup(
    store: KubernetesScimStore,
    ctx: { connection: string },
    type: 'User' | 'Group',
    plan: QueryPlan,
  ) {
    const before = store.requestCount();
    const found = await store.query(ctx, type, plan);
    return { ids: found.map((r: StoredResource) => r.id), requests: store.requestCount() - before };
  }

  const eq = (attribute: 'userName' | 'externalId' | 'emails.value' | 'displayName', value: string): QueryPlan => ({
    kind: 'eq',
    attribute,
    value,
  });

  it('answers a warm lookup by userName, externalId, work email or group displayName with one API request', async () => {
    const ctx = { connection: uniqueName('lookups') };
    const userName = `${uniqueName('ann')}@example.com`;
    const user = await a.create(ctx, 'User', {
      userName,
      externalId: uniqueName('ext'),
      emails: [{ value: `${uniqueName('work')}@example.com`, type: 'work' }],
    });
    const group = await a.create(ctx, 'Group', { displayName: uniqueName('Admins'), externalId: uniqueName('gext') });
    await vi.waitFor(() => {
      expect(b.cache.get('User', user.id)).toBeDefined();
      expect(b.cache.get('Group', group.id)).toBeDefined();
    });
    const email = (user.attributes.emails as { value: string }[])[0]!.value;
    // One request either way, but a label-selector list makes the API server scan every object of the kind.
    const lists = [vi.spyOn(b.users, 'list'), vi.spyOn(b.groups, 'list')];

    expect(await lookup(b, ctx, 'User', eq('userName', userName.toUpperCase()))).toEqual({
      ids: [user.id],
      requests: 1,
    });
    expect(await lookup(b, ctx, 'User', eq('externalId', String(user.attributes.externalId)))).toEqual({
      ids: [user.id],
      requests: 1,
    });
    expect(await lookup(b, ctx, 'User', eq('emails.value', email))).toEqual({ ids: [user.id], requests: 1 });
    expect(await lookup(b, ctx, 'Group', eq('displayName', String(group.attributes.displayName)))).toEqual({
      ids: [group.id],
      requests: 1,
    });
    expect(await lookup(b, ctx, 'Group', eq('externalId', String(group.attributes.externalId)))).toEqual({
      ids: [group.id],
      requests: 1,
    });
    for (const list of lists) expect(list).not.toHaveBeenCalled();
    expect(await lookup(b, ctx, 'User', eq('userName', 'nobody@example.com'))).toEqual({ ids: [], requests: 1 });
    expect(await lookup(b, ctx, 'Group', eq('displayName', 'nobody'))).toEqual({ ids: [], requests: 1 });
    // Another connection is told nothing, whatever this replica's cache holds.
    expect((await lookup(b, { connection: 'other' }, 'User', eq('userName', userName))).ids).toEqual([]);
    for (const list of lists) list.mockRestore();
  });

  it('finds on replica B a user or group created or renamed on replica A a moment before, and never the old name', async () => {
    const ctx = { connection: uniqueName('replicas') };
    const first = { userName: `${uniqueName('bob')}@example.com`, externalId: uniqueName('ext') };
    const user = await a.create(ctx, 'User', first);
    expect((await lookup(b, ctx, 'User', eq('userName', first.userName))).ids).toEqual([user.id]);
    expect((await lookup(b, ctx, 'User', eq('externalId', first.externalId))).ids).toEqual([user.id]);
    const group = await a.create(ctx, 'Group', { displayName: uniqueName('Ops') });
    expect((await lookup(b, ctx, 'Group', eq('displayName', String(group.attributes.displayName)))).ids).toEqual([
      group.id,
    ]);

    // B's cache now proposes the old values: its candidates must be rejected by the live reads.
    await vi.waitFor(() => {
      expect(b.cache.get('User', user.id)).toBeDefined();
      expect(b.cache.get('Group', group.id)).toBeDefined();
    });
    const renamed = { userName: `${uniqueName('robert')}@example.com`, externalId: uniqueName('ext') };
    await a.replace(ctx, 'User', user.id, renamed);
    const newName = uniqueName('Operations');
    await a.replace(ctx, 'Group', group.id, { displayName: newName });

    expect((await lookup(b, ctx, 'User', eq('userName', first.userName))).ids).toEqual([]);
    expect((await lookup(b, ctx, 'User', eq('externalId', first.externalId))).ids).toEqual([]);
    expect((await lookup(b, ctx, 'User', eq('userName', renamed.userName))).ids).toEqual([user.id]);
    expect((await lookup(b, ctx, 'User', eq('externalId', renamed.externalId))).ids).toEqual([user.id]);
    expect((await lookup(b, ctx, 'Group', eq('displayName', String(group.attributes.displayName)))).ids).toEqual([]);
    expect((await lookup(b, ctx, 'Group', eq('displayName', newName))).ids).toEqual([group.id]);

    await a.delete(ctx, 'User', user.id);
    expect((await lookup(b, ctx, 'User', eq('userName', renamed.userName))).ids).toEqual([]);
    expect((await lookup(b, ctx, 'User', eq('externalId', renamed.externalId))).ids).toEqual([]);
  });

  it('adds or removes one member with two API requests when the cache is current, on either replica', async () => {
    const ctx = { connection: uniqueName('members') };
    const users = await Promise.all(
      Array.from({ length: 6 }, () => a.create(ctx, 'User', { userName: uniqueName('member') })),
    );
    const [seed, other, ...rest] = users;
    const group = await a.create(ctx, 'Group', { displayName: uniqueName('Everyone') }, [
      { value: seed!.id, type: 'User' },
    ]);
    // A new group's members are in one shard until it holds 1,000 (docs/adr/0025), so every change rewrites it.
    const shard = shardName(group.id, 0);
    await vi.waitFor(() => {
      expect(a.cache.get('Group', group.id)).toBeDefined();
      expect(b.cache.get('Group', group.id)).toBeDefined();
    });

    const change = async (store: KubernetesScimStore, add: string[], remove: string[] = []) => {
      const before = store.requestCount();
      await store.changeMembers(ctx, group.id, { add: add.map((value) => ({ value, type: 'User' })), remove });
      return store.requestCount() - before;
    };
    // A shard this replica wrote a moment ago is one update, without a read, whatever the change holds.
    expect(await change(a, [other!.id])).toBe(2);
    expect(await change(a, [other!.id], [seed!.id])).toBe(2);
    expect(await change(a, [seed!.id])).toBe(2);
    for (const user of rest.slice(0, 2)) {
      expect(await change(a, [user.id])).toBe(2);
      expect(await change(a, [], [user.id])).toBe(2);
    }

    // Replica B writes from its informer's copy once that has caught up with A's writes.
    const latest = a.cache.shard(shard)!.metadata.resourceVersion!;
    await vi.waitFor(() => expect(BigInt(b.cache.shard(shard)?.metadata.resourceVersion ?? 0)).toBe(BigInt(latest)));
    const newcomer = rest[2]!;
    expect(await change(b, [newcomer.id])).toBe(2);
    // A's copy is stale unless its informer has delivered B's write: then a conflict and a re-read, never a loss.
    expect([2, 4]).toContain(await change(a, [], [newcomer.id]));
    expect((await b.getMembers(ctx, group.id)).map((m) => m.value).sort()).toEqual([seed!.id, other!.id].sort());
  });

  it('loses no member when both replicas change the same shard at once from stale copies', async () => {
    const ctx = { connection: uniqueName('race') };
    // Eight members of a new group: one shard holds them all (docs/adr/0025).
    const racers = await Promise.all(
      Array.from({ length: 8 }, () => a.create(ctx, 'User', { userName: uniqueName('racer') })),
    );
    const group = await a.create(ctx, 'Group', { displayName: uniqueName('Race') });
    await Promise.all(
      racers.map((u, i) =>
        (i % 2 === 0 ? a : b).changeMembers(ctx, group.id, { add: [{ value: u.id, type: 'User' }] }),
      ),
    );
    expect((await a.getMembers(ctx, group.id)).map((m) => m.value).sort()).toEqual(racers.map((u) => u.id).sort());
  });
});
