/**
 * Two replicas of the complete operator, each with its own Kubernetes store and informers and the controllers
 * running on the leader, over one real control plane: what an IdP sees when its requests are load-balanced across
 * them while the controllers write status. Read-your-writes across replicas, uniqueness races, concurrent member
 * changes, If-Match across status writes, connection isolation, an API server outage, and deactivation.
 */

import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { adminKubeConfig, uniqueName } from '../support/cluster.ts';
import {
  ClusterView,
  filterQuery,
  fixture,
  type KubernetesTestServer,
  startKubernetesTestServer,
} from '../support/kubernetes-scim-server.ts';
import { type OperatorReplica, type OperatorReplicas, startOperatorReplicas } from '../support/operator-replicas.ts';
import type { TestServer } from '../support/scim-test-server.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

type Server = Pick<TestServer, 'call'>;

const cluster = new ClusterView();
let replicas: OperatorReplicas;
let a: OperatorReplica;
let b: OperatorReplica;
beforeAll(async () => {
  replicas = await startOperatorReplicas();
  [a, b] = replicas.replicas;
}, 120_000);
afterAll(async () => {
  await replicas?.stop();
});

const patch = (...Operations: object[]) => ({ schemas: [PATCH_OP], Operations });
const ids = (resources: { id: string }[]) => resources.map((r) => r.id);

async function createUser(server: Server, userName = `${uniqueName('user')}@example.com`) {
  const reply = await server.call('POST', '/Users', {
    body: { schemas: [USER], userName, name: { familyName: 'F' }, active: true },
  });
  expect(reply.status).toBe(201);
  return reply.body as { id: string; userName: string; meta: { version: string } };
}

async function createGroup(server: Server) {
  const reply = await server.call('POST', '/Groups', { body: { schemas: [GROUP], displayName: uniqueName('group') } });
  expect(reply.status).toBe(201);
  return reply.body as { id: string; displayName: string };
}

async function memberIds(server: Server, groupId: string): Promise<string[]> {
  const reply = await server.call('GET', `/Groups/${groupId}`);
  expect(reply.status).toBe(200);
  return (reply.body.members ?? []).map((m: { value: string }) => m.value).sort();
}

describe('two replicas of the SCIM endpoint', () => {
  it('reads a user created on one replica from the other at once, by id and by indexed filters', async () => {
    for (let round = 0; round < 5; round++) {
      const user = await createUser(a);
      const byId = await b.call('GET', `/Users/${user.id}`);
      expect(byId.status).toBe(200);
      expect(byId.body.userName).toBe(user.userName);
      const byFilter = await b.call('GET', `/Users?${filterQuery(`userName eq "${user.userName.toUpperCase()}"`)}`);
      expect(ids(byFilter.body.Resources)).toEqual([user.id]);
      const combined = await b.call(
        'GET',
        `/Users?${filterQuery(`userName eq "${user.userName}" and name.familyName eq "F"`)}`,
      );
      expect(ids(combined.body.Resources)).toEqual([user.id]);
    }
  });

  // Store contract rule 1: listings no index answers (no filter, or an unindexed attribute) come from the replica's
  // informer cache. They include the replica's own writes at once and another replica's within the watch latency
  // (docs/adr/0006-store-consistency.md); IdPs match with indexed eq filters, which are consistent everywhere.
  it("lists a user created or changed on one replica in its own unindexed listings at once and in the other's shortly after", async () => {
    for (let round = 0; round < 10; round++) {
      const user = await createUser(a);
      expect(ids((await a.call('GET', '/Users?count=1000')).body.Resources)).toContain(user.id);
      await vi.waitFor(
        async () =>
          expect(ids((await b.call('GET', '/Users?count=1000')).body.Resources).includes(user.id), 'listed on B').toBe(
            true,
          ),
        { timeout: 5000 },
      );
      const marker = uniqueName('marker');
      await a.call('PATCH', `/Users/${user.id}`, {
        body: patch({ op: 'replace', path: 'displayName', value: marker }),
      });
      const onA = await a.call('GET', `/Users?${filterQuery(`displayName eq "${marker}"`)}`);
      expect(ids(onA.body.Resources)).toEqual([user.id]);
      await vi.waitFor(
        async () =>
          expect(
            ids((await b.call('GET', `/Users?${filterQuery(`displayName eq "${marker}"`)}`)).body.Resources).join(),
            'filtered on B',
          ).toBe(user.id),
        { timeout: 5000 },
      );
    }
  });

  it('shows a change made on one replica, with its new version, on the other at once', async () => {
    const user = await createUser(a);
    const changed = await a.call('PATCH', `/Users/${user.id}`, {
      body: patch({ op: 'replace', path: 'displayName', value: 'Changed on A' }),
    });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(user.meta.version);
    const read = await b.call('GET', `/Users/${user.id}`);
    expect(read.body.displayName).toBe('Changed on A');
    expect(read.headers.get('etag')).toBe(changed.headers.get('etag'));
    expect(read.body.meta.version).toBe(changed.body.meta.version);

    const group = await createGroup(a);
    const before = (await b.call('GET', `/Groups/${group.id}`)).headers.get('etag');
    const added = await a.call('PATCH', `/Groups/${group.id}`, {
      body: patch({ op: 'add', path: 'members', value: [{ value: user.id }] }),
    });
    expect(added.status).toBe(204);
    const after = await b.call('GET', `/Groups/${group.id}`);
    expect(after.headers.get('etag')).toBe(added.headers.get('etag'));
    expect(after.headers.get('etag')).not.toBe(before);
    expect(after.body.members.map((m: { value: string }) => m.value)).toEqual([user.id]);
  });

  it('lets exactly one of two simultaneous identical POSTs win, the other answering 409 uniqueness', async () => {
    for (let round = 0; round < 5; round++) {
      const body = { schemas: [USER], userName: `${uniqueName('race')}@example.com` };
      const replies = await Promise.all([a.call('POST', '/Users', { body }), b.call('POST', '/Users', { body })]);
      const statuses = replies.map((r) => r.status).sort();
      expect(statuses).toEqual([201, 409]);
      const loser = replies.find((r) => r.status === 409)!;
      expect(loser.body).toMatchObject({ schemas: [ERROR], status: '409', scimType: 'uniqueness' });
      const winner = replies.find((r) => r.status === 201)!;
      const stored = await cluster.list('scimusers', `scim-operator.dev/connection=${replicas.connections.a}`);
      expect(stored.filter((u) => u.spec.userName === body.userName).map((u) => u.metadata.name)).toEqual([
        winner.body.id,
      ]);
    }
    for (let round = 0; round < 3; round++) {
      const body = { schemas: [GROUP], displayName: uniqueName('Race Group') };
      const replies = await Promise.all([a.call('POST', '/Groups', { body }), b.call('POST', '/Groups', { body })]);
      expect(replies.map((r) => r.status).sort()).toEqual([201, 409]);
    }
  });

  it('keeps all fifty members when fifty member PATCHes on one group are spread over both replicas, with no 503', async () => {
    const users = await Promise.all(Array.from({ length: 50 }, (_, i) => createUser(i % 2 ? a : b)));
    const group = await createGroup(a);
    // The controllers write the new group's status (Ready) while the PATCHes land: that write must not make any of
    // them fail.
    const replies = await Promise.all(
      users.map((user, i) =>
        (i % 2 ? a : b).call('PATCH', `/Groups/${group.id}`, {
          body: patch({ op: 'Add', path: 'members', value: [{ $ref: null, value: user.id }] }),
        }),
      ),
    );
    expect(replies.map((r) => `${r.status} ${r.body?.detail ?? ''}`.trim())).toEqual(users.map(() => '204'));
    const expected = ids(users).sort();
    expect(await memberIds(a, group.id)).toEqual(expected);
    expect(await memberIds(b, group.id)).toEqual(expected);
    expect(await cluster.memberIds(group.id)).toEqual(expected);
    await vi.waitFor(() => expect(replicas.statusWrites()).toContain(`scimgroups/${group.id}`), { timeout: 30_000 });
  });

  it('accepts a PUT whose If-Match was read before a status write, and refuses a stale one with 412', async () => {
    const user = await createUser(a);
    const group = await createGroup(b);
    const cases = [
      { path: `/Users/${user.id}`, plural: 'scimusers', id: user.id, body: (v: string) => userBody(user, v) },
      { path: `/Groups/${group.id}`, plural: 'scimgroups', id: group.id, body: (v: string) => groupBody(group, v) },
    ];
    for (const { path, plural, id, body } of cases) {
      const first = await a.call('PUT', path, { body: body('one'), headers: { 'if-match': await etagOf(b, path) } });
      expect(first.status, `${path} first PUT`).toBe(200);
      const etag = first.headers.get('etag')!;
      // A status write after the ETag was issued, as the controllers make when access changes (ADR 0021 keeps them
      // from writing for an attribute change like this one): it moves resourceVersion, not the SCIM version.
      const before = (await cluster.get(plural, id))?.metadata.resourceVersion;
      const written = await cluster.patchStatus(plural, id, { conditions: [] });
      expect(written.metadata.resourceVersion).not.toBe(before);
      expect(await etagOf(b, path), 'status writes leave the ETag alone').toBe(etag);

      const second = await b.call('PUT', path, { body: body('two'), headers: { 'if-match': etag } });
      expect(second.status, `${path} PUT with the ETag read before the status write`).toBe(200);
      expect(second.headers.get('etag')).not.toBe(etag);

      const stale = await a.call('PUT', path, { body: body('three'), headers: { 'if-match': etag } });
      expect(stale.status, `${path} PUT with an ETag overtaken by a SCIM change`).toBe(412);
      expect(stale.body).toMatchObject({ schemas: [ERROR], status: '412' });
    }
    expect((await cluster.get('scimusers', user.id))?.spec.displayName).toBe('two');
    expect((await cluster.get('scimgroups', group.id))?.spec.externalId).toBe('two');
  });

  it('answers 412 to a write whose If-Match was overtaken on the other replica, and writes nothing', async () => {
    const user = await createUser(a);
    const stale = (await a.call('GET', `/Users/${user.id}`)).headers.get('etag')!;
    await b.call('PATCH', `/Users/${user.id}`, { body: patch({ op: 'replace', path: 'displayName', value: 'B' }) });

    const patched = await a.call('PATCH', `/Users/${user.id}`, {
      body: patch({ op: 'replace', path: 'displayName', value: 'A' }),
      headers: { 'if-match': stale },
    });
    expect(patched.status).toBe(412);
    expect(patched.body).toMatchObject({ schemas: [ERROR], status: '412' });
    const put = await a.call('PUT', `/Users/${user.id}`, {
      body: { schemas: [USER], userName: user.userName, displayName: 'A' },
      headers: { 'if-match': stale },
    });
    expect(put.status).toBe(412);
    const deleted = await a.call('DELETE', `/Users/${user.id}`, { headers: { 'if-match': stale } });
    expect(deleted.status).toBe(412);
    expect((await cluster.get('scimusers', user.id))?.spec.displayName).toBe('B');

    const group = await createGroup(b);
    const staleGroup = (await b.call('GET', `/Groups/${group.id}`)).headers.get('etag')!;
    await a.call('PATCH', `/Groups/${group.id}`, {
      body: patch({ op: 'add', path: 'members', value: [{ value: user.id }] }),
    });
    const member = await createUser(b);
    const memberPatch = await b.call('PATCH', `/Groups/${group.id}`, {
      body: patch({ op: 'add', path: 'members', value: [{ value: member.id }] }),
      headers: { 'if-match': staleGroup },
    });
    expect(memberPatch.status).toBe(412);
    expect(await cluster.memberIds(group.id)).toEqual([user.id]);

    const current = (await a.call('GET', `/Users/${user.id}`)).headers.get('etag')!;
    const fresh = await b.call('PATCH', `/Users/${user.id}`, {
      body: patch({ op: 'replace', path: 'displayName', value: 'A' }),
      headers: { 'if-match': current },
    });
    expect(fresh.status).toBe(200);
  });

  it("hides one connection's user from another connection: reads find nothing and writes answer 404", async () => {
    const user = await createUser(a);
    const other = { token: 'token-b' };
    expect((await b.call('GET', `/Users/${user.id}`, other)).status).toBe(404);
    const filtered = await b.call('GET', `/Users?${filterQuery(`userName eq "${user.userName}"`)}`, other);
    expect(filtered.body.totalResults).toBe(0);
    const listed = await b.call('GET', '/Users?count=1000', other);
    expect(ids(listed.body.Resources)).not.toContain(user.id);
    const patched = await b.call('PATCH', `/Users/${user.id}`, {
      ...other,
      body: patch({ op: 'replace', path: 'active', value: false }),
    });
    expect(patched.status).toBe(404);
    const put = await b.call('PUT', `/Users/${user.id}`, {
      ...other,
      body: { schemas: [USER], userName: user.userName, active: false },
    });
    expect(put.status).toBe(404);
    expect((await b.call('DELETE', `/Users/${user.id}`, other)).status).toBe(404);

    const group = await createGroup(b);
    const foreignMember = await a.call('PATCH', `/Groups/${group.id}`, {
      ...other,
      body: patch({ op: 'add', path: 'members', value: [{ value: user.id }] }),
    });
    expect(foreignMember.status).toBe(404);

    const stored = await cluster.get('scimusers', user.id);
    expect(stored?.spec).toMatchObject({ userName: user.userName });
    expect(stored?.spec.active).not.toBe(false);
    expect((await a.call('GET', `/Users/${user.id}`)).status).toBe(200);

    // The same userName is free in the other connection.
    const twin = await a.call('POST', '/Users', { ...other, body: { schemas: [USER], userName: user.userName } });
    expect(twin.status).toBe(201);
    expect(twin.body.id).not.toBe(user.id);
  });

  it('keeps a deactivated user in its groups', async () => {
    const user = await createUser(a);
    const group = await createGroup(a);
    await a.call('PATCH', `/Groups/${group.id}`, {
      body: patch({ op: 'add', path: 'members', value: [{ value: user.id }] }),
    });

    const disabled = await a.call('PATCH', `/Users/${user.id}`, { body: fixture('entra/user-patch-disable.default') });
    expect(disabled.body.active).toBe(false);
    expect((await cluster.get('scimusers', user.id))?.spec.active).toBe(false);

    expect(await memberIds(b, group.id)).toEqual([user.id]);
    expect(await cluster.memberIds(group.id)).toEqual([user.id]);
    const byMember = await b.call('GET', `/Groups?${filterQuery(`members[value eq "${user.id}"]`)}`);
    expect(ids(byMember.body.Resources)).toEqual([group.id]);
    const read = await b.call('GET', `/Users/${user.id}`);
    expect(read.body.active).toBe(false);
    expect(read.body.groups).toEqual([expect.objectContaining({ value: group.id })]);
  });
});

const userBody = (user: { userName: string }, displayName: string) => ({
  schemas: [USER],
  userName: user.userName,
  name: { familyName: 'F' },
  active: true,
  displayName,
});
const groupBody = (group: { displayName: string }, externalId: string) => ({
  schemas: [GROUP],
  displayName: group.displayName,
  externalId,
});

async function etagOf(server: Server, path: string): Promise<string> {
  const reply = await server.call('GET', path);
  expect(reply.status).toBe(200);
  return reply.headers.get('etag')!;
}

describe('a replica whose API server is unreachable', () => {
  let proxy: TcpProxy;
  let cut: KubernetesTestServer;
  beforeAll(async () => {
    const admin = adminKubeConfig();
    proxy = await startTcpProxy(Number(new URL(admin.getCurrentCluster()!.server).port));
    const viaProxy = new KubeConfig();
    viaProxy.loadFromString(admin.exportConfig());
    viaProxy.clusters = viaProxy.clusters.map((c) => ({ ...c, server: `https://127.0.0.1:${proxy.port}` }));
    cut = await startKubernetesTestServer({ kc: viaProxy });
  });
  afterAll(async () => {
    proxy?.restore();
    await cut?.stop();
    await proxy?.close();
  });

  it('answers 503 with Retry-After and a SCIM error, never 404, and recovers when the API server is back', async () => {
    const user = await createUser(cut);
    const group = await createGroup(cut);
    // The replica's cache has caught up with its writes before the outage (listings wait for that).
    expect(ids((await cut.call('GET', '/Users')).body.Resources)).toEqual([user.id]);
    proxy.cut();

    const requests: [string, string, unknown?][] = [
      ['GET', `/Users/${user.id}`],
      ['GET', `/Users?${filterQuery(`userName eq "${user.userName}"`)}`],
      ['GET', `/Users?${filterQuery(`externalId eq "${user.id}"`)}`],
      ['GET', `/Groups?${filterQuery(`displayName eq "${group.displayName}"`)}`],
      ['GET', `/Groups/${group.id}`],
      ['GET', `/Groups/${group.id}?excludedAttributes=members`],
      ['POST', '/Users', { schemas: [USER], userName: `${uniqueName('outage')}@example.com` }],
      ['PATCH', `/Users/${user.id}`, patch({ op: 'replace', path: 'active', value: false })],
      ['PUT', `/Users/${user.id}`, { schemas: [USER], userName: user.userName }],
      ['PATCH', `/Groups/${group.id}`, patch({ op: 'add', path: 'members', value: [{ value: user.id }] })],
      ['DELETE', `/Users/${user.id}`],
    ];
    for (const [method, path, body] of requests) {
      const reply = await cut.call(method, path, { body });
      expect(reply.status, `${method} ${path}`).toBe(503);
      expect(Number(reply.headers.get('retry-after')), `${method} ${path}`).toBeGreaterThan(0);
      expect(reply.headers.get('content-type')).toMatch(/^application\/scim\+json/);
      expect(reply.body).toMatchObject({ schemas: [ERROR], status: '503' });
    }
    // A full listing is served from the replica's informer cache: it still shows what the replica last saw.
    const listed = await cut.call('GET', '/Users');
    expect(listed.status).toBe(200);
    expect(ids(listed.body.Resources)).toEqual([user.id]);

    proxy.restore();
    const back = await cut.call('GET', `/Users/${user.id}`);
    expect(back.status).toBe(200);
    expect(back.body.active).toBe(true);
    expect((await cluster.get('scimusers', user.id))?.spec.active).toBe(true);
  });
});
