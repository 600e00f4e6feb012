/**
 * Okta's request sequences (research/idp-behaviour.md 2.1) against the SCIM endpoint on the real control plane:
 * existence check, create with a password, 409 on a duplicate, import paging with `count=100`, PUT profile
 * updates, pathless deactivation, and Group Push (pathless rename carrying `id`, filter remove plus add, full
 * member push). Payloads are the recorded fixtures; ids Okta would have learnt from our responses are swapped in.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterView, filterQuery, fixture } from '../support/kubernetes-scim-server.ts';
import { type OperatorServer, startOperatorServer } from '../support/operator-replicas.ts';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const OKTA_HEADERS = { 'user-agent': 'Okta SCIM Client 1.0.0', 'content-type': 'application/json' };

/** Ids as they appear in the recorded payloads. */
const PUBLISHED_GROUP_ID = 'abf4dd94-a4c0-4f67-89c9-76b03340cb9b';
const PUBLISHED_REMOVED_ID = '89bb1940-b905-4575-9e7f-6f887cfb368e';
const PUBLISHED_ADDED_ID = '23a35c27-23d3-4c03-b4c5-6443c09e7173';

const cluster = new ClusterView();
let server: OperatorServer;
beforeAll(async () => {
  server = await startOperatorServer();
});
afterAll(async () => {
  await server?.stop();
});

const okta = (method: string, path: string, body?: unknown) =>
  server.call(method, path, { body, headers: OKTA_HEADERS });

async function createUser(userName: string): Promise<string> {
  const reply = await okta('POST', '/Users', { schemas: [USER], userName, active: true });
  expect(reply.status).toBe(201);
  return reply.body.id;
}

describe('Okta user provisioning against the whole operator', () => {
  it('checks for the user, creates it, refuses the duplicate with 409, updates it by PUT and deactivates it', async () => {
    const check = await okta(
      'GET',
      `/Users?${filterQuery('userName eq "test.user@okta.local"')}&startIndex=1&count=100`,
    );
    expect(check.status).toBe(200);
    expect(check.body).toMatchObject({ totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] });

    const created = await okta('POST', '/Users', fixture('okta/user-create'));
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    expect(created.body).toMatchObject({
      id,
      userName: 'test.user@okta.local',
      name: { givenName: 'Test', familyName: 'User' },
      displayName: 'Test User',
      locale: 'en-US',
      externalId: '00ujl29u0le5T6Aj10h7',
      active: true,
    });
    expect(created.body).not.toHaveProperty('password');
    const stored = await cluster.get('scimusers', id);
    expect(stored?.spec).toMatchObject({ userName: 'test.user@okta.local', active: true, locale: 'en-US' });
    expect(JSON.stringify(stored), 'the password is never stored').not.toContain('1mz050nq');

    const duplicate = await okta('POST', '/Users', fixture('okta/user-create'));
    expect(duplicate.status).toBe(409);
    expect(duplicate.body).toMatchObject({ schemas: [ERROR], status: '409', scimType: 'uniqueness' });
    expect(await cluster.list('scimusers', `scim-operator.dev/connection=${server.connections.a}`)).toHaveLength(1);

    const found = await okta(
      'GET',
      `/Users?${filterQuery('userName eq "test.user@okta.local"')}&startIndex=1&count=100`,
    );
    expect(found.body).toMatchObject({ totalResults: 1, startIndex: 1, itemsPerPage: 1, Resources: [{ id }] });

    // Okta GETs the user, changes the profile and PUTs the whole object back, id, meta and groups included.
    const read = await okta('GET', `/Users/${id}`);
    expect(read.status).toBe(200);
    const profile = {
      ...read.body,
      name: { givenName: 'Tess', familyName: 'User' },
      displayName: 'Tess User',
      emails: [{ primary: true, value: 'tess.user@okta.local', type: 'work' }],
      groups: [],
    };
    const put = await okta('PUT', `/Users/${id}`, profile);
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ id, displayName: 'Tess User', name: { givenName: 'Tess' } });
    expect(put.headers.get('etag')).not.toBe(read.headers.get('etag'));
    expect((await cluster.get('scimusers', id))?.spec).toMatchObject({
      userName: 'test.user@okta.local',
      displayName: 'Tess User',
      emails: [{ value: 'tess.user@okta.local' }],
    });

    const deactivated = await okta('PATCH', `/Users/${id}`, fixture('okta/user-patch-deactivate'));
    expect([200, 204]).toContain(deactivated.status);
    expect((await okta('GET', `/Users/${id}`)).body.active).toBe(false);
    expect((await cluster.get('scimusers', id))?.spec.active).toBe(false);

    // AIW apps reactivate with a PUT of the whole user.
    const current = await okta('GET', `/Users/${id}`);
    const reactivated = await okta('PUT', `/Users/${id}`, { ...current.body, active: true });
    expect(reactivated.body.active).toBe(true);
    expect((await cluster.get('scimusers', id))?.spec.active).toBe(true);
  });

  it('imports every user exactly once when paging with count=100, with integer paging fields', async () => {
    const importer = await startOperatorServer();
    try {
      const ids = new Set<string>();
      for (let start = 0; start < 230; start += 46) {
        const batch = await Promise.all(
          Array.from({ length: 46 }, (_, i) =>
            importer.call('POST', '/Users', { body: { schemas: [USER], userName: `import.${start + i}@okta.local` } }),
          ),
        );
        for (const reply of batch) {
          expect(reply.status).toBe(201);
          ids.add(reply.body.id);
        }
      }
      const page = async (startIndex: number) => {
        const reply = await importer.call('GET', `/Users?startIndex=${startIndex}&count=100`, {
          headers: OKTA_HEADERS,
        });
        expect(reply.status).toBe(200);
        return reply.body;
      };

      const seen: string[] = [];
      let startIndex = 1;
      for (;;) {
        const body = await page(startIndex);
        expect(Number.isInteger(body.totalResults)).toBe(true);
        expect(Number.isInteger(body.startIndex)).toBe(true);
        expect(Number.isInteger(body.itemsPerPage)).toBe(true);
        expect(body.totalResults).toBe(230);
        expect(body.startIndex).toBe(startIndex);
        expect(body.itemsPerPage).toBe(body.Resources.length);
        seen.push(...body.Resources.map((r: { id: string }) => r.id));
        startIndex += 100;
        if (startIndex > body.totalResults) break;
      }
      expect(seen).toHaveLength(230);
      expect(new Set(seen)).toEqual(ids);

      // Stable order whatever the page size: pages of 7 concatenate to the same sequence.
      const small: string[] = [];
      for (let index = 1; index <= 230; index += 7) {
        const reply = await importer.call('GET', `/Users?startIndex=${index}&count=7`);
        small.push(...reply.body.Resources.map((r: { id: string }) => r.id));
      }
      expect(small).toEqual(seen);
    } finally {
      await importer.stop();
    }
  });
});

describe('Okta Group Push against the whole operator', () => {
  it('creates a group, renames it with a pathless replace carrying the id, and moves members by filter remove and add', async () => {
    const first = await createUser('first.push@okta.local');
    const second = await createUser('second.push@okta.local');
    const third = await createUser('third.push@okta.local');

    const check = await okta('GET', `/Groups?${filterQuery('displayName eq "Test SCIMv2"')}&startIndex=1&count=100`);
    expect(check.body).toMatchObject({ totalResults: 0, itemsPerPage: 0, Resources: [] });
    const created = await okta('POST', '/Groups', fixture('okta/group-create'));
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    expect(created.body).toMatchObject({ id, displayName: 'Test SCIMv2', members: [] });
    expect((await cluster.get('scimgroups', id))?.spec.displayName).toBe('Test SCIMv2');
    const listed = await okta('GET', '/Groups?startIndex=1&count=100');
    expect(listed.body.Resources.map((g: { id: string }) => g.id)).toEqual([id]);

    const renameBody = fixture('okta/group-patch-rename', { [PUBLISHED_GROUP_ID]: id });
    (renameBody.Operations as { value: { displayName: string } }[])[0]!.value.displayName = 'Test SCIMv2 renamed';
    const renamed = await okta('PATCH', `/Groups/${id}`, renameBody);
    expect([200, 204]).toContain(renamed.status);
    expect((await cluster.get('scimgroups', id))?.spec.displayName).toBe('Test SCIMv2 renamed');
    const byNewName = await okta('GET', `/Groups?${filterQuery('displayName eq "Test SCIMv2 renamed"')}`);
    expect(byNewName.body.Resources.map((g: { id: string }) => g.id)).toEqual([id]);

    const pushed = await okta(
      'PATCH',
      `/Groups/${id}`,
      fixture('okta/group-patch-push-members', { [PUBLISHED_ADDED_ID]: first, [PUBLISHED_REMOVED_ID]: second }),
    );
    expect([200, 204]).toContain(pushed.status);
    expect(await cluster.memberIds(id)).toEqual([first, second].sort());

    // The membership update, sent with the rename as Okta does: remove `second` by filter, add `third`.
    const membership = await okta(
      'PATCH',
      `/Groups/${id}`,
      fixture('okta/group-patch-membership', {
        [PUBLISHED_GROUP_ID]: id,
        [PUBLISHED_REMOVED_ID]: second,
        [PUBLISHED_ADDED_ID]: third,
      }),
    );
    expect([200, 204]).toContain(membership.status);
    expect(await cluster.memberIds(id)).toEqual([first, third].sort());
    expect((await cluster.get('scimgroups', id))?.spec.displayName).toBe('Test SCIMv2');
    const read = await okta('GET', `/Groups/${id}`);
    expect(read.body.members.map((m: { value: string }) => m.value).sort()).toEqual([first, third].sort());

    // AIW apps PUT the full member list.
    const put = await okta('PUT', `/Groups/${id}`, {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      id,
      displayName: 'Test SCIMv2',
      members: [{ value: second, display: 'second.push@okta.local' }],
    });
    expect(put.status).toBe(200);
    expect(await cluster.memberIds(id)).toEqual([second]);

    const duplicate = await okta('POST', '/Groups', fixture('okta/group-create'));
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.scimType).toBe('uniqueness');

    expect((await okta('DELETE', `/Groups/${id}`)).status).toBe(204);
    expect(await cluster.get('scimgroups', id)).toBeUndefined();
    expect(await cluster.shards(id)).toEqual([]);
    // Users are never deleted by Group Push.
    for (const user of [first, second, third]) expect(await cluster.get('scimusers', user)).toBeDefined();
  });

  // T33 tolerates Okta's `id` in a pathless replace only when it is the group's own.
  it('refuses a pathless rename whose id names another group with 400 mutability, changing nothing', async () => {
    const created = await okta('POST', '/Groups', { ...fixture('okta/group-create'), displayName: 'Other id' });
    expect(created.status).toBe(201);
    const body = fixture('okta/group-patch-rename');
    (body.Operations as { value: { displayName: string } }[])[0]!.value.displayName = 'Renamed through another id';
    const refused = await okta('PATCH', `/Groups/${created.body.id}`, body);
    expect(refused.status).toBe(400);
    expect(refused.body.scimType).toBe('mutability');
    expect((await cluster.get('scimgroups', created.body.id))?.spec.displayName).toBe('Other id');
  });
});
