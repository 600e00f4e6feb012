import { CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { API_GROUP, API_VERSION } from '../../src/api/crd-builder.ts';
import { annotations, labels } from '../../src/api/labels.ts';
import { scimGroupKind } from '../../src/api/scim-group.ts';
import { scimGroupMembersKind } from '../../src/api/scim-group-members.ts';
import type { StoredMember } from '../../src/scim/store.ts';
import { shardMemberIds, shardName, shardOf } from '../../src/store/member-shards.ts';
import { adminKubeConfig, uniqueName } from '../support/cluster.ts';
import {
  ClusterView,
  type KubernetesTestServer,
  startKubernetesTestServer,
} from '../support/kubernetes-scim-server.ts';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const byValue = (a: { value: string }, b: { value: string }) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0);

describe('member shards on the API server', () => {
  const cluster = new ClusterView();
  let server: KubernetesTestServer;
  let ctx: { connection: string };
  beforeAll(async () => {
    server = await startKubernetesTestServer();
    ctx = { connection: server.connections.a };
  });
  afterAll(async () => {
    await server?.stop();
  });

  const createUsers = (n: number) =>
    Promise.all(Array.from({ length: n }, () => server.store.create(ctx, 'User', { userName: uniqueName('member') })));

  it('hold their members as id lists, ~40 bytes a member, with no per-member field ownership', async () => {
    const users = await createUsers(400);
    const group = await server.store.create(ctx, 'Group', { displayName: uniqueName('group') });
    // Two changes, so that every shard is created and then replaced.
    await server.store.changeMembers(ctx, group.id, {
      add: users.slice(0, 200).map((u) => ({ value: u.id, type: 'User' })),
    });
    await server.store.changeMembers(ctx, group.id, {
      add: users.slice(200).map((u) => ({ value: u.id, type: 'User' })),
    });

    const shards = await cluster.list('scimgroupmembers', `${labels.group}=${group.id}`);
    expect(shards.flatMap((s) => s.spec.users).sort()).toEqual(users.map((u) => u.id).sort());
    for (const shard of shards) {
      expect(shard.spec.members, 'the legacy layout is never written').toBeUndefined();
      expect(shard.spec.groups).toEqual([]);
      const withoutMembers = Buffer.byteLength(JSON.stringify({ ...shard, spec: { ...shard.spec, users: [] } }));
      const membersOnly = Buffer.byteLength(JSON.stringify(shard)) - withoutMembers;
      expect(JSON.stringify(shard.metadata)).not.toContain('v:\\"');
      expect(withoutMembers, 'metadata does not grow with the members').toBeLessThan(1500);
      expect(membersOnly / shard.spec.users.length).toBeLessThan(45);
    }
  });

  it('reads a shard written in the legacy layout, and rewrites it as id lists on its next change without losing a member', async () => {
    // 40 users over 16 shards: some shard holds at least three of them.
    const users = await createUsers(40);
    const byShard = Map.groupBy(users, (u) => shardOf(u.id));
    const [typed, untyped, newcomer] = [...byShard.values()].find((inShard) => inShard.length >= 3)!;
    const nested = await server.store.create(ctx, 'Group', { displayName: uniqueName('nested') });
    const group = await server.store.create(ctx, 'Group', { displayName: uniqueName('group') });
    const uid = ((await cluster.get('scimgroups', group.id))?.metadata as { uid?: string } | undefined)?.uid ?? '';
    // A group from before ADR 0025, too: no start depth, so its shards are the legacy 16.
    await cluster.mergePatch('scimgroups', group.id, {
      metadata: { annotations: { [annotations.memberShardDepth]: null } },
    });
    await vi.waitFor(() =>
      expect(server.store.cache.get('Group', group.id)?.metadata.annotations).not.toHaveProperty(
        annotations.memberShardDepth,
      ),
    );

    // As an operator before ADR 0023 wrote them: member objects, one of them untyped (a User).
    const legacy = new Map<number, StoredMember[]>();
    const put = (member: StoredMember) => {
      const shard = shardOf(member.value);
      legacy.set(shard, [...(legacy.get(shard) ?? []), member]);
    };
    put({ value: typed!.id, type: 'User' });
    put({ value: untyped!.id });
    put({ value: nested.id, type: 'Group' });
    const objects = adminKubeConfig().makeApiClient(CustomObjectsApi);
    for (const [shard, members] of legacy) {
      await objects.createClusterCustomObject({
        group: API_GROUP,
        version: API_VERSION,
        plural: scimGroupMembersKind.plural,
        body: {
          apiVersion: scimGroupMembersKind.apiVersion,
          kind: scimGroupMembersKind.kind,
          metadata: {
            name: shardName(group.id, shard),
            labels: {
              [labels.group]: group.id,
              [labels.connection]: ctx.connection,
              [labels.managedBy]: 'scim-operator',
            },
            ownerReferences: [{ apiVersion: scimGroupKind.apiVersion, kind: scimGroupKind.kind, name: group.id, uid }],
          },
          spec: { group: group.id, shard, members },
        },
      });
    }

    const membersOverScim = async () =>
      ((await server.call('GET', `/Groups/${group.id}`)).body.members as { value: string; type: string }[])
        .map(({ value, type }) => ({ value, type }))
        .sort(byValue);
    const expected = (extra: { value: string; type: string }[] = []) =>
      [
        { value: typed!.id, type: 'User' },
        { value: untyped!.id, type: 'User' },
        { value: nested.id, type: 'Group' },
        ...extra,
      ].sort(byValue);
    expect(await membersOverScim()).toEqual(expected());
    await vi.waitFor(
      async () => {
        expect(server.store.cache.memberships.membersOf(group.id).sort()).toEqual(expected().map((m) => m.value));
        const user = await server.call('GET', `/Users/${untyped!.id}`);
        expect(user.body.groups).toEqual([expect.objectContaining({ value: group.id })]);
      },
      { timeout: 10_000, interval: 100 },
    );

    const added = await server.call('PATCH', `/Groups/${group.id}`, {
      body: { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: newcomer!.id }] }] },
    });
    expect(added.status).toBe(204);
    const rewritten = await cluster.get('scimgroupmembers', shardName(group.id, shardOf(newcomer!.id)));
    expect(rewritten?.spec.members).toBeUndefined();
    expect([...rewritten!.spec.users].sort()).toEqual([typed!.id, untyped!.id, newcomer!.id].sort());
    expect(rewritten!.spec.groups).toEqual(shardOf(nested.id) === shardOf(newcomer!.id) ? [nested.id] : []);
    expect(shardMemberIds(rewritten!.spec)).toHaveLength(legacy.get(shardOf(newcomer!.id))!.length + 1);

    const withNewcomer = expected([{ value: newcomer!.id, type: 'User' }]);
    expect(await membersOverScim()).toEqual(withNewcomer);
    await vi.waitFor(
      () => expect(server.store.cache.memberships.membersOf(group.id).sort()).toEqual(withNewcomer.map((m) => m.value)),
      { timeout: 10_000, interval: 100 },
    );
  });
});
