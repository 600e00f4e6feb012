import { describe, expect, it } from 'vitest';
import { BASE_URL } from '../../test/support/scim-test-server.ts';
import {
  createUser,
  ENTERPRISE,
  filterQuery,
  GROUP,
  LIST,
  memberIds,
  patch,
  serverForFile,
  suffix,
  USER,
} from './scim-http.test-support.ts';

const server = serverForFile();

describe("Entra ID user lifecycle, as the user requests of Microsoft's SCIM endpoint tutorial", () => {
  it('matches by filter, creates, updates, disables with "False", reads and deletes a user', async () => {
    const userName = `Test_User_${crypto.randomUUID()}`;
    const externalId = crypto.randomUUID();

    const absent = await server.call('GET', `/Users?${filterQuery(`userName eq "${userName}"`)}`);
    expect(absent.status).toBe(200);
    expect(absent.body).toEqual({ schemas: [LIST], totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] });

    const created = await server.call('POST', '/Users', {
      headers: { 'content-type': 'application/scim+json; charset=utf-8' },
      body: {
        schemas: [USER, ENTERPRISE],
        externalId,
        userName,
        active: true,
        emails: [{ primary: true, type: 'work', value: `${userName}@testuser.com` }],
        meta: { resourceType: 'User' },
        name: { formatted: 'givenName familyName', familyName: 'familyName', givenName: 'givenName' },
        roles: [],
      },
    });
    expect(created.status).toBe(201);
    const { id } = created.body;
    expect(created.headers.get('location')).toBe(`${BASE_URL}/Users/${id}`);
    expect(created.body).toMatchObject({
      schemas: [USER],
      externalId,
      userName,
      active: true,
      meta: { resourceType: 'User', location: `${BASE_URL}/Users/${id}`, version: expect.stringMatching(/^W\/"/) },
    });
    expect(created.body.meta.created).toBeDefined();
    expect(created.body.meta.lastModified).toBeDefined();

    const found = await server.call('GET', `/Users?${filterQuery(`userName eq "${userName}"`)}`);
    expect(found.body.totalResults).toBe(1);
    expect(found.body.Resources[0].id).toBe(id);

    const updated = await server.call('PATCH', `/Users/${id}`, {
      body: patch(
        { op: 'Replace', path: 'emails[type eq "work"].value', value: 'updatedEmail@microsoft.com' },
        { op: 'Replace', path: 'name.familyName', value: 'updatedFamilyName' },
      ),
    });
    expect(updated.status).toBe(200);
    expect(updated.body.emails).toEqual([{ value: 'updatedEmail@microsoft.com', type: 'work', primary: true }]);
    expect(updated.body.name.familyName).toBe('updatedFamilyName');

    const renamedTo = `${crypto.randomUUID()}@testuser.com`;
    const renamed = await server.call('PATCH', `/Users/${id}`, {
      body: patch({ op: 'Replace', path: 'userName', value: renamedTo }),
    });
    expect(renamed.body).toMatchObject({ id, userName: renamedTo });

    const disabled = await server.call('PATCH', `/Users/${id}`, {
      body: patch({ op: 'Replace', path: 'active', value: 'False' }),
    });
    expect(disabled.status).toBe(200);
    expect(disabled.body.active).toBe(false);

    const stillThere = await server.call('GET', `/Users/${id}`);
    expect(stillThere.body.active).toBe(false);
    const byFilter = await server.call('GET', `/Users?${filterQuery(`externalId eq "${externalId}"`)}`);
    expect(byFilter.body.totalResults).toBe(1);

    expect((await server.call('DELETE', `/Users/${id}`)).status).toBe(204);
    expect((await server.call('GET', `/Users/${id}`)).status).toBe(404);
    expect((await server.call('DELETE', `/Users/${id}`)).status).toBe(404);
  });

  it('answers a second user with the same userName in another case with 409 uniqueness', async () => {
    const userName = `Dup.${suffix()}@Example.com`;
    await createUser(server, userName);
    const again = await server.call('POST', '/Users', { body: { schemas: [USER], userName: userName.toUpperCase() } });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ status: '409', scimType: 'uniqueness' });
    const upper = await server.call('GET', `/Users?${filterQuery(`userName eq "${userName.toUpperCase()}"`)}`);
    expect(upper.body.totalResults).toBe(1);
  });

  it('accepts explicit nulls and unknown schema URNs on create, and sends no nulls back', async () => {
    const reply = await server.call('POST', '/Users', {
      body: {
        schemas: [USER, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0User'],
        userName: `joy-${suffix()}`,
        displayName: 'Joy Young',
        addresses: null,
        title: null,
        [ENTERPRISE]: { department: null, manager: null, employeeNumber: '7' },
      },
    });
    expect(reply.status).toBe(201);
    expect(JSON.stringify(reply.body)).not.toContain('null');
    expect(reply.body.schemas).toEqual([USER, ENTERPRISE]);
  });
});

describe("Entra ID group lifecycle, as the group requests of Microsoft's SCIM endpoint tutorial", () => {
  it('creates, reads without members, renames, adds and removes members with 204, and deletes a group', async () => {
    const [alice, bob] = [await createUser(server), await createUser(server)];
    const displayName = `Group ${suffix()}`;
    const created = await server.call('POST', '/Groups', {
      body: {
        schemas: [GROUP, 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group'],
        externalId: crypto.randomUUID(),
        displayName,
        meta: { resourceType: 'Group' },
      },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ schemas: [GROUP], displayName, members: [] });
    const { id } = created.body;

    const read = await server.call('GET', `/Groups/${id}?excludedAttributes=members`);
    expect(read.body).not.toHaveProperty('members');
    const listed = await server.call(
      'GET',
      `/Groups?excludedAttributes=members&${filterQuery(`displayName eq "${displayName}"`)}`,
    );
    expect(listed.body.totalResults).toBe(1);
    expect(listed.body.Resources[0]).not.toHaveProperty('members');

    const newName = `${crypto.randomUUID()}updatedDisplayName`;
    const rename = await server.call('PATCH', `/Groups/${id}`, {
      body: patch({ op: 'Replace', path: 'displayName', value: newName }),
    });
    expect(rename.status).toBe(204);
    expect(rename.body).toBeUndefined();

    const add = await server.call('PATCH', `/Groups/${id}`, {
      body: patch({ op: 'Add', path: 'members', value: [{ $ref: null, value: alice.id }, { value: bob.id }] }),
    });
    expect(add.status).toBe(204);
    expect(await memberIds(server, id)).toEqual([alice.id, bob.id].sort());

    const remove = await server.call('PATCH', `/Groups/${id}`, {
      body: patch({ op: 'Remove', path: 'members', value: [{ $ref: null, value: alice.id }] }),
    });
    expect(remove.status).toBe(204);
    expect(await memberIds(server, id)).toEqual([bob.id]);

    const flagForm = await server.call('PATCH', `/Groups/${id}`, {
      body: patch({ op: 'remove', path: `members[value eq "${bob.id}"]` }),
    });
    expect(flagForm.status).toBe(204);
    expect(await memberIds(server, id)).toEqual([]);

    const group = await server.call('GET', `/Groups/${id}`);
    expect(group.body.displayName).toBe(newName);
    expect((await server.call('DELETE', `/Groups/${id}`)).status).toBe(204);
    expect((await server.call('GET', `/Groups/${id}`)).status).toBe(404);
  });

  it('gives members a $ref and answers PATCH with 200 and the group when attributes are asked for', async () => {
    const alice = await createUser(server);
    const created = await server.call('POST', '/Groups', {
      body: { schemas: [GROUP], displayName: `Refs ${suffix()}`, members: [{ value: alice.id }] },
    });
    expect(created.body.members).toEqual([{ value: alice.id, $ref: `${BASE_URL}/Users/${alice.id}`, type: 'User' }]);
    const reply = await server.call('PATCH', `/Groups/${created.body.id}?attributes=displayName`, {
      body: patch({ op: 'replace', path: 'displayName', value: 'Renamed' }),
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ id: created.body.id, displayName: 'Renamed' });
  });

  it('refuses a member that is not a user of this connection', async () => {
    const created = await server.call('POST', '/Groups', {
      body: { schemas: [GROUP], displayName: `Strict ${suffix()}` },
    });
    const reply = await server.call('PATCH', `/Groups/${created.body.id}`, {
      body: patch({ op: 'add', path: 'members', value: [{ value: 'no-such-user' }] }),
    });
    expect(reply.status).toBe(400);
    expect(await memberIds(server, created.body.id)).toEqual([]);
  });

  it('keeps every earlier member when one member is added to a group of 1,000', async () => {
    const users = await Promise.all(Array.from({ length: 1001 }, () => createUser(server)));
    const newcomer = users.pop()!;
    const created = await server.call('POST', '/Groups', {
      body: { schemas: [GROUP], displayName: `Big ${suffix()}`, members: users.map((u) => ({ value: u.id })) },
    });
    const reply = await server.call('PATCH', `/Groups/${created.body.id}`, {
      body: patch({ op: 'Add', path: 'members', value: [{ value: newcomer.id }] }),
    });
    expect(reply.status).toBe(204);
    expect(await memberIds(server, created.body.id)).toEqual([...users, newcomer].map((u) => u.id).sort());
  }, 30_000); // 1,001 creates over HTTP: 3 s on an idle machine, past the 5 s default on a loaded one.

  it('loses no member when ten PATCHes add members to one group at once', async () => {
    const users = await Promise.all(Array.from({ length: 10 }, () => createUser(server)));
    const created = await server.call('POST', '/Groups', {
      body: { schemas: [GROUP], displayName: `Race ${suffix()}` },
    });
    const replies = await Promise.all(
      users.map((user, i) =>
        server.call('PATCH', `/Groups/${created.body.id}`, {
          body: patch(
            { op: 'replace', value: { displayName: `Race renamed ${i % 2}` } },
            { op: 'add', path: 'members', value: [{ value: user.id }] },
          ),
        }),
      ),
    );
    expect(replies.map((r) => r.status)).toEqual(users.map(() => 204));
    expect(await memberIds(server, created.body.id)).toEqual(users.map((u) => u.id).sort());
  });

  it('removes a deleted user from every group', async () => {
    const alice = await createUser(server);
    const created = await server.call('POST', '/Groups', {
      body: { schemas: [GROUP], displayName: `Leavers ${suffix()}`, members: [{ value: alice.id }] },
    });
    const user = await server.call('GET', `/Users/${alice.id}`);
    expect(user.body.groups).toEqual([expect.objectContaining({ value: created.body.id, type: 'direct' })]);
    await server.call('DELETE', `/Users/${alice.id}`);
    expect(await memberIds(server, created.body.id)).toEqual([]);
  });
});
