import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { ScimGroup } from '../api/scim-group.ts';
import type { ScimGroupMembers } from '../api/scim-group-members.ts';
import { GroupMemberWrites } from './group-member-writes.ts';
import { shardOf } from './member-shards.ts';
import { MEMBERS_VERSION_ANNOTATION, scimVersion } from './scim-version.ts';

const ctx = { connection: 'entra' };
const conflict = () => new ApiException(409, 'Conflict', JSON.stringify({ code: 409, reason: 'Conflict' }), {});

/**
 * An API server of one group and its shards, in memory, that records every request in order. `interfere` runs
 * before a conditional group patch, standing in for a controller's status write at the worst moment.
 */
function fakeServer(options: { cachedGroup?: boolean } = {}) {
  const log: string[] = [];
  let group: ScimGroup = {
    apiVersion: 'scim-operator.dev/v1alpha1',
    kind: 'ScimGroup',
    metadata: {
      name: 'g',
      uid: 'uid-g',
      generation: 1,
      resourceVersion: '1',
      labels: { 'scim-operator.dev/connection': 'entra' },
    },
    spec: { displayName: 'G' },
  };
  const shards = new Map<string, ScimGroupMembers>();
  let rv = 1;
  let interfere: (() => void) | undefined;
  const bump = () => String(++rv);
  const groups = {
    get: async () => {
      log.push('get group');
      return structuredClone(group);
    },
    mergePatch: async (
      _name: string,
      patch: { metadata: { resourceVersion?: string; annotations: Record<string, string> } },
    ) => {
      interfere?.();
      interfere = undefined;
      const conditional = patch.metadata.resourceVersion !== undefined;
      log.push(conditional ? 'patch group if unchanged' : 'patch group');
      if (conditional && patch.metadata.resourceVersion !== group.metadata.resourceVersion) throw conflict();
      group = {
        ...group,
        metadata: {
          ...group.metadata,
          resourceVersion: bump(),
          annotations: { ...group.metadata.annotations, ...patch.metadata.annotations },
        },
      };
      return structuredClone(group);
    },
  };
  const shardClient = {
    get: async (name: string) => {
      log.push(`get ${name}`);
      const shard = shards.get(name);
      if (!shard) throw new ApiException(404, 'Not Found', '{"code":404}', {});
      return structuredClone(shard);
    },
    replace: async (shard: ScimGroupMembers) => {
      log.push(`write ${shard.metadata.name}`);
      shards.set(shard.metadata.name, { ...shard, metadata: { ...shard.metadata, resourceVersion: bump() } });
      return shard;
    },
    create: async (shard: ScimGroupMembers) => {
      log.push(`write ${shard.metadata.name}`);
      shards.set(shard.metadata.name, { ...shard, metadata: { ...shard.metadata, resourceVersion: bump() } });
      return shard;
    },
    list: async () => [...shards.values()],
  };
  const cache = {
    get: () => (options.cachedGroup ? structuredClone(group) : undefined),
    expect: () => {},
  };
  const writes = new GroupMemberWrites({
    groups,
    shards: shardClient,
    cache,
    clock: () => new Date('2026-12-05T07:00:00Z'),
    deadline: () => Date.now() + 5_000,
    readOwned: async (c, _id) => {
      const read = await groups.get();
      return read.metadata.labels?.['scim-operator.dev/connection'] === c.connection ? read : undefined;
    },
    onUnexpectedError: () => {},
  });
  return {
    log,
    writes,
    group: () => group,
    members: () => [...shards.values()].flatMap((s) => s.spec.members.map((m) => m.value)),
    /** A status write: a new resourceVersion, the same generation and annotations. */
    statusWriteBeforeNextPatch: () => {
      interfere = () => {
        group = { ...group, metadata: { ...group.metadata, resourceVersion: bump() } };
      };
    },
  };
}

describe('GroupMemberWrites', () => {
  it('without If-Match, changes the shards first and then sets a new members token unconditionally', async () => {
    const server = fakeServer({ cachedGroup: true });
    const before = scimVersion('Group', server.group());
    const written = await server.writes.change(ctx, 'g', { add: [{ value: 'u1' }] }, undefined);
    const shard = `g-${shardOf('u1')}`;
    expect(server.log).toEqual([`get ${shard}`, `write ${shard}`, 'patch group']);
    expect(scimVersion('Group', written)).not.toBe(before);
    expect(written.metadata.annotations?.[MEMBERS_VERSION_ANNOTATION]).toBeDefined();
  });

  it('reads the group when this replica has not seen it, to learn its uid and check its connection', async () => {
    const server = fakeServer({ cachedGroup: false });
    await server.writes.change(ctx, 'g', { add: [{ value: 'u1' }] }, undefined);
    expect(server.log[0]).toBe('get group');
    await expect(
      server.writes.change({ connection: 'okta' }, 'g', { add: [{ value: 'u2' }] }, undefined),
    ).rejects.toMatchObject({
      status: 404,
    });
    expect(server.members()).toEqual(['u1']);
  });

  it('with If-Match, sets the token conditionally before any member moves', async () => {
    const server = fakeServer();
    const version = scimVersion('Group', server.group());
    await server.writes.change(ctx, 'g', { add: [{ value: 'u1' }] }, version);
    const shard = `g-${shardOf('u1')}`;
    expect(server.log).toEqual(['get group', 'patch group if unchanged', `get ${shard}`, `write ${shard}`]);
  });

  it('with If-Match, retries past a status write (same SCIM version) and refuses a moved version with 412', async () => {
    const server = fakeServer();
    const version = scimVersion('Group', server.group());
    server.statusWriteBeforeNextPatch();
    const written = await server.writes.change(ctx, 'g', { add: [{ value: 'u1' }] }, version);
    expect(server.log.slice(0, 4)).toEqual([
      'get group',
      'patch group if unchanged',
      'get group',
      'patch group if unchanged',
    ]);
    expect(server.members()).toEqual(['u1']);

    await expect(server.writes.change(ctx, 'g', { remove: ['u1'] }, version)).rejects.toMatchObject({ status: 412 });
    expect(server.members()).toEqual(['u1']);
    expect(scimVersion('Group', server.group())).toBe(scimVersion('Group', written));
  });

  it('leaves the version alone when no member changes', async () => {
    const server = fakeServer({ cachedGroup: true });
    const added = await server.writes.change(ctx, 'g', { add: [{ value: 'u1' }] }, undefined);
    server.log.length = 0;
    const again = await server.writes.change(ctx, 'g', { add: [{ value: 'u1' }], remove: ['absent'] }, undefined);
    expect(scimVersion('Group', again)).toBe(scimVersion('Group', added));
    expect(server.log.filter((entry) => entry.startsWith('patch') || entry.startsWith('write'))).toEqual([]);
  });
});
