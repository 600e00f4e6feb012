import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labels } from '../../src/api/labels.ts';
import { KubernetesScimStore } from '../../src/store/kubernetes-store.ts';
import { adminKubeConfig, uniqueName } from '../support/cluster.ts';
import { ClusterView } from '../support/kubernetes-scim-server.ts';

describe('member shards on the API server', () => {
  const cluster = new ClusterView();
  let store: KubernetesScimStore;
  beforeAll(async () => {
    store = new KubernetesScimStore({ kc: adminKubeConfig() });
    await store.start();
  });
  afterAll(async () => {
    await store?.stop();
  });

  it('hold under 70 bytes per member (the capacity MAX_MEMBERS_PER_SHARD assumes), with no per-member field ownership', async () => {
    const ctx = { connection: uniqueName('shards') };
    const users = await Promise.all(
      Array.from({ length: 400 }, () => store.create(ctx, 'User', { userName: uniqueName('member') })),
    );
    const group = await store.create(ctx, 'Group', { displayName: uniqueName('group') });
    // Two changes, so that every shard is created and then replaced.
    await store.changeMembers(ctx, group.id, { add: users.slice(0, 200).map((u) => ({ value: u.id, type: 'User' })) });
    await store.changeMembers(ctx, group.id, { add: users.slice(200).map((u) => ({ value: u.id, type: 'User' })) });

    const shards = await cluster.list('scimgroupmembers', `${labels.group}=${group.id}`);
    expect(shards.reduce((n, s) => n + s.spec.members.length, 0)).toBe(400);
    for (const shard of shards) {
      const withoutMembers = Buffer.byteLength(JSON.stringify({ ...shard, spec: { ...shard.spec, members: [] } }));
      const membersOnly = Buffer.byteLength(JSON.stringify(shard)) - withoutMembers;
      expect(JSON.stringify(shard.metadata)).not.toContain('k:{\\"value\\"');
      expect(withoutMembers, 'metadata does not grow with the members').toBeLessThan(1500);
      expect(membersOnly / shard.spec.members.length).toBeLessThan(70);
    }
  });
});
