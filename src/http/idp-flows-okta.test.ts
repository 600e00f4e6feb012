import { describe, expect, it } from 'vitest';
import {
  createUser,
  filterQuery,
  GROUP,
  memberIds,
  PATCH_OP,
  patch,
  serverForFile,
  suffix,
  USER,
} from './scim-http.test-support.ts';

const server = serverForFile();

describe("Okta flows, as Okta's SCIM provisioning guide shows them", () => {
  it('checks for a user, creates it with a password, refuses a duplicate, PUTs it back whole and deactivates it', async () => {
    const userName = `test.user.${suffix()}@okta.local`;
    const check = await server.call('GET', `/Users?${filterQuery(`userName eq "${userName}"`)}&startIndex=1&count=100`);
    expect(check.body).toMatchObject({ totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] });

    const body = {
      schemas: [USER],
      userName,
      name: { givenName: 'Test', familyName: 'User' },
      emails: [{ primary: true, value: userName, type: 'work' }],
      displayName: 'Test User',
      locale: 'en-US',
      externalId: '00ujl29u0le5T6Aj10h7',
      groups: [],
      password: '1mz050nq',
      active: true,
    };
    const created = await server.call('POST', '/Users', { body, headers: { 'content-type': 'application/json' } });
    expect(created.status).toBe(201);
    expect(created.body).not.toHaveProperty('password');
    expect((await server.call('POST', '/Users', { body })).status).toBe(409);

    const read = await server.call('GET', `/Users/${created.body.id}`);
    const whole = { ...read.body, displayName: 'Changed Name', groups: [] };
    delete whole.title;
    const put = await server.call('PUT', `/Users/${created.body.id}`, { body: whole });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ id: created.body.id, displayName: 'Changed Name', userName });

    const cleared = { ...put.body };
    delete cleared.displayName;
    const fullReplace = await server.call('PUT', `/Users/${created.body.id}`, { body: cleared });
    expect(fullReplace.body).not.toHaveProperty('displayName');

    const deactivated = await server.call('PATCH', `/Users/${created.body.id}`, {
      body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] },
    });
    expect(deactivated.status).toBe(200);
    expect(deactivated.body.active).toBe(false);
  });

  it('refuses a PUT whose body carries another id', async () => {
    const user = await createUser(server);
    const reply = await server.call('PUT', `/Users/${user.id}`, {
      body: { schemas: [USER], id: 'someone-else', userName: `x-${suffix()}` },
    });
    expect(reply.status).toBe(400);
    expect(reply.body.scimType).toBe('mutability');
  });

  it('pushes a group: rename carrying the id, mixed remove and add, full replace and delete', async () => {
    const [a, b, c] = [await createUser(server), await createUser(server), await createUser(server)];
    const created = await server.call('POST', '/Groups', {
      body: { schemas: [GROUP], displayName: `Test SCIMv2 ${suffix()}`, members: [{ value: a.id }] },
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const check = await server.call('GET', `/Groups?${filterQuery(`displayName eq "${created.body.displayName}"`)}`);
    expect(check.body.totalResults).toBe(1);

    const mixed = await server.call('PATCH', `/Groups/${id}`, {
      body: {
        schemas: [PATCH_OP],
        Operations: [
          { op: 'replace', value: { id, displayName: 'Okta Renamed' } },
          { op: 'remove', path: `members[value eq "${a.id}"]` },
          { op: 'add', path: 'members', value: [{ value: b.id, display: 'b@okta.local' }] },
        ],
      },
    });
    expect([200, 204]).toContain(mixed.status);
    expect(await memberIds(server, id)).toEqual([b.id]);

    await server.call('PATCH', `/Groups/${id}`, {
      body: patch({ op: 'replace', path: 'members', value: [{ value: a.id }, { value: c.id }] }),
    });
    expect(await memberIds(server, id)).toEqual([a.id, c.id].sort());

    const put = await server.call('PUT', `/Groups/${id}`, {
      body: { schemas: [GROUP], displayName: 'Okta Renamed', members: [{ value: b.id }] },
    });
    expect(put.status).toBe(200);
    expect(put.body.members.map((m: { value: string }) => m.value)).toEqual([b.id]);

    const keep = await server.call('PUT', `/Groups/${id}`, { body: { schemas: [GROUP], displayName: 'Okta Final' } });
    expect(keep.status).toBe(200);
    expect(await memberIds(server, id)).toEqual([b.id]);

    expect((await server.call('DELETE', `/Groups/${id}`)).status).toBe(204);
  });
});
