/**
 * Entra ID's request sequences (research/idp-behaviour.md 1.3 and 1.5) against the SCIM endpoint on the real
 * control plane, in both forms Entra sends: the default one and the `aadOptscim062020` one. Each form runs in
 * connections of its own, so the published payloads are sent verbatim, userNames included; only ids that Entra
 * would have learnt from our responses are swapped in. Every step checks the response and what Kubernetes holds.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterView, filterQuery, fixture } from '../support/kubernetes-scim-server.ts';
import { type OperatorServer, startOperatorServer } from '../support/operator-replicas.ts';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

/** The literal userName of U1/U3 and the member id of G5/G6 as published. */
const PUBLISHED_USER_NAME = 'Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee';
const PUBLISHED_MEMBER_ID = 'f648f8d5ea4e4cd38e9c';
const PUBLISHED_FLAG_MEMBER_ID = '7f4bc1a3-285e-48ae-8202-5accb43efb0e';

const cluster = new ClusterView();

describe.each([
  { form: 'default', suffix: 'default', activeValue: 'False' },
  { form: 'aadOptscim062020', suffix: 'flag', activeValue: false },
])('Entra ID, $form form, against the whole operator', ({ suffix, activeValue }) => {
  let server: OperatorServer;
  beforeAll(async () => {
    server = await startOperatorServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('provisions a user: filter, create, update, rename, disable, read and delete (U1-U8)', async () => {
    const notThere = await server.call('GET', `/Users?${filterQuery('userName eq "non-existent user"')}`);
    expect(notThere.status).toBe(200);
    expect(notThere.body).toMatchObject({ schemas: [LIST], totalResults: 0, startIndex: 1, Resources: [] });

    const match = await server.call('GET', `/Users?${filterQuery(`userName eq "${PUBLISHED_USER_NAME}"`)}`);
    expect(match.body.totalResults).toBe(0);

    const created = await server.call('POST', '/Users', {
      body: fixture('entra/user-create'),
      headers: { 'content-type': 'application/scim+json; charset=utf-8' },
    });
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    expect(created.headers.get('location')).toBe(`${server.url}/scim/v2/Users/${id}`);
    expect(created.body).toMatchObject({
      externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
      userName: PUBLISHED_USER_NAME,
      active: true,
      name: { formatted: 'givenName familyName', familyName: 'familyName', givenName: 'givenName' },
      emails: [{ primary: true, type: 'work', value: 'Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com' }],
      meta: { resourceType: 'User', location: `${server.url}/scim/v2/Users/${id}` },
    });
    expect(created.headers.get('etag')).toBe(created.body.meta.version);
    const stored = await cluster.get('scimusers', id);
    expect(stored?.spec).toMatchObject({ userName: PUBLISHED_USER_NAME, active: true, externalId: expect.any(String) });
    expect(stored?.metadata.labels?.['scim-operator.dev/connection']).toBe(server.connections.a);
    expect(await cluster.printedColumns('scimusers', id)).toMatchObject({
      UserName: PUBLISHED_USER_NAME,
      Active: true,
    });

    const found = await server.call('GET', `/Users?${filterQuery(`userName eq "${PUBLISHED_USER_NAME}"`)}`);
    expect(found.body).toMatchObject({ totalResults: 1, Resources: [{ id, userName: PUBLISHED_USER_NAME }] });

    const updated = await server.call('PATCH', `/Users/${id}`, {
      body: fixture('entra/user-patch-emails-and-family-name'),
    });
    expect(updated.status).toBe(200);
    expect(updated.body.emails).toEqual([{ value: 'updatedEmail@microsoft.com', type: 'work', primary: true }]);
    expect(updated.body.name).toMatchObject({ familyName: 'updatedFamilyName', givenName: 'givenName' });
    expect((await cluster.get('scimusers', id))?.spec).toMatchObject({
      emails: [{ value: 'updatedEmail@microsoft.com', type: 'work', primary: true }],
      name: { familyName: 'updatedFamilyName' },
    });

    const several = await server.call('PATCH', `/Users/${id}`, {
      body: fixture(`entra/user-patch-replace-several.${suffix}`),
    });
    expect(several.status).toBe(200);
    expect(several.body).toMatchObject({
      displayName: 'Bjfe',
      name: { givenName: 'Kkom', familyName: 'Unua' },
      emails: [{ value: 'Cvxq@contoso.example', type: 'work' }],
      [ENTERPRISE]: { employeeNumber: 'Aklq' },
    });
    expect((await cluster.get('scimusers', id))?.spec).toMatchObject({
      displayName: 'Bjfe',
      name: { givenName: 'Kkom', familyName: 'Unua' },
      enterprise: { employeeNumber: 'Aklq' },
    });

    const nickName = await server.call('PATCH', `/Users/${id}`, {
      body: fixture(`entra/user-patch-add-nickname.${suffix}`),
    });
    expect(nickName.body.nickName).toBe('Babs');
    expect((await cluster.get('scimusers', id))?.spec.nickName).toBe('Babs');

    const renamedTo = '5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com';
    const renamed = await server.call('PATCH', `/Users/${id}`, { body: fixture('entra/user-patch-rename') });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ id, userName: renamedTo });
    expect((await cluster.get('scimusers', id))?.spec.userName).toBe(renamedTo);
    const oldName = await server.call('GET', `/Users?${filterQuery(`userName eq "${PUBLISHED_USER_NAME}"`)}`);
    expect(oldName.body.totalResults).toBe(0);
    const newName = await server.call('GET', `/Users?${filterQuery(`userName eq "${renamedTo}"`)}`);
    expect(newName.body.Resources.map((r: { id: string }) => r.id)).toEqual([id]);

    const disable = fixture(`entra/user-patch-disable.${suffix}`);
    expect((disable.Operations as { value: unknown }[])[0]!.value).toBe(activeValue);
    const disabled = await server.call('PATCH', `/Users/${id}`, { body: disable });
    expect(disabled.status).toBe(200);
    expect(disabled.body.active).toBe(false);
    expect((await cluster.get('scimusers', id))?.spec.active).toBe(false);
    expect(await cluster.printedColumns('scimusers', id)).toMatchObject({ UserName: renamedTo, Active: false });

    const read = await server.call('GET', `/Users/${id}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({
      schemas: expect.arrayContaining([USER]),
      id,
      userName: renamedTo,
      active: false,
    });
    expect(read.headers.get('etag')).toBe(disabled.body.meta.version);

    const deleted = await server.call('DELETE', `/Users/${id}`);
    expect(deleted.status).toBe(204);
    expect(await cluster.get('scimusers', id)).toBeUndefined();
    const gone = await server.call('GET', `/Users/${id}`);
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({ schemas: [ERROR], status: '404' });
    const afterDelete = await server.call('GET', `/Users?${filterQuery(`userName eq "${renamedTo}"`)}`);
    expect(afterDelete.body.totalResults).toBe(0);

    // The userName is free again: Entra re-provisions a deleted user under the same name.
    const again = await server.call('POST', '/Users', { body: fixture('entra/user-create') });
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(id);
  });

  it('provisions a group: create, read without members, rename, add and remove a member with 204, delete (G1-G7)', async () => {
    const member = await server.call('POST', '/Users', {
      body: { ...fixture('entra/user-create'), userName: `member.${suffix}@testuser.com`, externalId: `m-${suffix}` },
    });
    expect(member.status).toBe(201);
    const memberId: string = member.body.id;

    const created = await server.call('POST', '/Groups', { body: fixture('entra/group-create') });
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    expect(created.body).toMatchObject({
      schemas: [GROUP],
      externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159',
      displayName: 'displayName',
      members: [],
      meta: { resourceType: 'Group', location: `${server.url}/scim/v2/Groups/${id}` },
    });
    expect((await cluster.get('scimgroups', id))?.spec).toMatchObject({ displayName: 'displayName' });
    expect(await cluster.shards(id)).toEqual([]);

    const read = await server.call('GET', `/Groups/${id}?excludedAttributes=members`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id, displayName: 'displayName' });
    expect(read.body).not.toHaveProperty('members');

    const byName = await server.call(
      'GET',
      `/Groups?excludedAttributes=members&${filterQuery('displayName eq "displayName"')}`,
    );
    expect(byName.body).toMatchObject({ totalResults: 1, startIndex: 1, Resources: [{ id }] });
    expect(byName.body.Resources[0]).not.toHaveProperty('members');

    const renamed = await server.call('PATCH', `/Groups/${id}`, { body: fixture('entra/group-patch-rename') });
    expect(renamed.status).toBe(204);
    expect(renamed.body).toBeUndefined();
    const newName = '1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName';
    expect((await cluster.get('scimgroups', id))?.spec.displayName).toBe(newName);

    const versionBefore = (await server.call('GET', `/Groups/${id}`)).headers.get('etag');
    const added = await server.call('PATCH', `/Groups/${id}`, {
      body: fixture('entra/group-patch-add-member', { [PUBLISHED_MEMBER_ID]: memberId }),
    });
    expect(added.status).toBe(204);
    expect(added.headers.get('etag')).not.toBe(versionBefore);
    expect(await cluster.memberIds(id)).toEqual([memberId]);
    const withMember = await server.call('GET', `/Groups/${id}`);
    expect(withMember.body.members).toEqual([
      { value: memberId, type: 'User', $ref: `${server.url}/scim/v2/Users/${memberId}` },
    ]);
    const groupsOfMember = await server.call('GET', `/Users/${memberId}`);
    expect(groupsOfMember.body.groups).toEqual([expect.objectContaining({ value: id, display: newName })]);

    const removal =
      suffix === 'default'
        ? fixture('entra/group-patch-remove-member.default', { [PUBLISHED_MEMBER_ID]: memberId })
        : fixture('entra/group-patch-remove-member.flag', { [PUBLISHED_FLAG_MEMBER_ID]: memberId });
    const removed = await server.call('PATCH', `/Groups/${id}`, { body: removal });
    expect(removed.status).toBe(204);
    expect(await cluster.memberIds(id)).toEqual([]);
    expect((await server.call('GET', `/Groups/${id}`)).body.members ?? []).toEqual([]);
    // The member left the group; the user itself is untouched.
    expect((await server.call('GET', `/Users/${memberId}`)).status).toBe(200);

    const deleted = await server.call('DELETE', `/Groups/${id}`);
    expect(deleted.status).toBe(204);
    expect(await cluster.get('scimgroups', id)).toBeUndefined();
    expect(await cluster.shards(id)).toEqual([]);
    expect((await server.call('GET', `/Groups/${id}`)).status).toBe(404);
  });

  it('removes only the named member and keeps the others (default form must not empty the group)', async () => {
    const users = await Promise.all(
      ['one', 'two', 'three'].map(async (n) => {
        const reply = await server.call('POST', '/Users', {
          body: { schemas: [USER], userName: `${n}.${suffix}@x.test` },
        });
        expect(reply.status).toBe(201);
        return reply.body.id as string;
      }),
    );
    const group = await server.call('POST', '/Groups', {
      body: { ...fixture('entra/group-create'), displayName: `keep-others-${suffix}` },
    });
    for (const userId of users) {
      const add = await server.call('PATCH', `/Groups/${group.body.id}`, {
        body: fixture('entra/group-patch-add-member', { [PUBLISHED_MEMBER_ID]: userId }),
      });
      expect(add.status).toBe(204);
    }
    expect(await cluster.memberIds(group.body.id)).toEqual([...users].sort());

    const removal =
      suffix === 'default'
        ? fixture('entra/group-patch-remove-member.default', { [PUBLISHED_MEMBER_ID]: users[1]! })
        : fixture('entra/group-patch-remove-member.flag', { [PUBLISHED_FLAG_MEMBER_ID]: users[1]! });
    expect((await server.call('PATCH', `/Groups/${group.body.id}`, { body: removal })).status).toBe(204);
    expect(await cluster.memberIds(group.body.id)).toEqual([users[0]!, users[2]!].sort());
  });
});
