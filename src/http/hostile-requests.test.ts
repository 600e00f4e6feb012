/**
 * The hostile requests found in review, each sent over HTTP to the endpoint on a counting memory store: the answer
 * must be a SCIM error naming the cap, and the store must not have been asked for the work the request wanted.
 * Paths go out byte for byte through node:http; fetch would turn `%2E` into `.` and drop it, as browsers do.
 */

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  rawScimRequest,
  type ScimReply,
  startTestServer,
  type TestServer,
} from '../../test/support/scim-test-server.ts';
import { type CountingStore, countingStore } from '../scim/counting-store.test-support.ts';
import { GROUP_SCHEMA, limits, USER_SCHEMA } from '../scim/schemas.ts';
import { createMemoryStore } from '../store/memory-store.ts';

type Reply = Pick<ScimReply, 'status' | 'body'>;

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
let server: TestServer;
let store: CountingStore;
let userId: string;
let groupId: string;

beforeAll(async () => {
  store = countingStore(createMemoryStore());
  server = await startTestServer({ store });
  const user = await server.call('POST', '/Users', {
    body: { schemas: [USER_SCHEMA], userName: 'target@example.com' },
  });
  userId = user.body.id;
  const group = await server.call('POST', '/Groups', {
    body: { schemas: [GROUP_SCHEMA], displayName: 'Target', members: [{ value: userId }] },
  });
  groupId = group.body.id;
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  store.reset();
});

/** Sends `path` under `/scim/v2` exactly as written, with token-a. */
function raw(method: string, path: string, body?: unknown) {
  return rawScimRequest(server.url, method, path, body);
}

const patchBody = (...operations: unknown[]) => ({ schemas: [PATCH_OP], Operations: operations });
const roles = (count: number, prefix: string) => Array.from({ length: count }, (_, i) => ({ value: `${prefix}${i}` }));
const uuids = (count: number) => Array.from({ length: count }, () => ({ value: crypto.randomUUID() }));
const filterOf = (text: string) => `filter=${encodeURIComponent(text)}`;

function expectError(reply: Reply, status: number, scimType?: string, detail?: RegExp) {
  expect({ status: reply.status, scimType: reply.body?.scimType }).toEqual({ status, scimType });
  expect(reply.body.status).toBe(String(status));
  if (detail) expect(reply.body.detail).toMatch(detail);
}

describe('finding 1: a PATCH whose duplicate removal would block the event loop', () => {
  it('refuses two add roles operations of 12,000 values each with invalidValue naming the cap, reading nothing', async () => {
    const body = patchBody(
      { op: 'add', path: 'roles', value: roles(12_000, 'a') },
      { op: 'add', path: 'roles', value: roles(12_000, 'b') },
    );
    const reply = await raw('PATCH', `/Users/${userId}`, body);
    expectError(reply, 400, 'invalidValue', /at most 32 \(maxValuesPerAttribute\)/);
    expect(store.count()).toBe(0);
  });

  it('refuses roles grown past the cap one operation at a time, and leaves the user unchanged', async () => {
    const operations = Array.from({ length: limits.maxPatchOperations }, (_, i) => ({
      op: 'add',
      path: 'roles',
      value: [{ value: `r${i}` }],
    }));
    const reply = await raw('PATCH', `/Users/${userId}`, patchBody(...operations));
    expectError(reply, 400, 'invalidValue', /maxValuesPerAttribute/);
    expect((await server.call('GET', `/Users/${userId}`)).body.roles).toBeUndefined();
  });

  it('refuses more operations than maxPatchOperations with tooMany, reading nothing', async () => {
    const operations = Array.from({ length: limits.maxPatchOperations + 1 }, () => ({
      op: 'replace',
      path: 'title',
      value: 'x',
    }));
    const reply = await raw('PATCH', `/Users/${userId}`, patchBody(...operations));
    expectError(reply, 400, 'tooMany', /maxPatchOperations/);
    expect(store.count()).toBe(0);
  });
});

describe('finding 2: ids that are not ids', () => {
  const paths = ['/Users/%2E', '/Users/%2E%2E', '/Groups/%2e', '/Groups/%2e%2E', '/Users/not-an-id'];

  it.each(paths)('answers 404 to GET, PUT, PATCH and DELETE %s without asking the store', async (path) => {
    const put = path.startsWith('/Users')
      ? { schemas: [USER_SCHEMA], userName: 'x@example.com' }
      : { schemas: [GROUP_SCHEMA], displayName: 'x' };
    for (const [method, body] of [
      ['GET', undefined],
      ['PUT', put],
      ['PATCH', patchBody({ op: 'replace', path: 'displayName', value: 'x' })],
      ['DELETE', undefined],
    ] as const) {
      expectError(await raw(method, path, body), 404);
    }
    expect(store.count()).toBe(0);
  });

  it.each(['id eq "."', 'id eq ".."', 'id eq "." and displayName pr'])(
    'answers filter=%s with an empty list without asking the store',
    async (filter) => {
      for (const endpoint of ['/Users', '/Groups']) {
        const reply = await raw('GET', `${endpoint}?${filterOf(filter)}`);
        expect(reply.status).toBe(200);
        expect(reply.body).toMatchObject({ totalResults: 0, Resources: [] });
      }
      expect(store.count()).toBe(0);
    },
  );

  it('refuses a member "." or ".." in POST and PATCH with invalidValue or noTarget, without asking the store', async () => {
    const post = await raw('POST', '/Groups', {
      schemas: [GROUP_SCHEMA],
      displayName: 'Dots',
      members: [{ value: '.' }],
    });
    expectError(post, 400, 'invalidValue', /not a resource id/);
    const add = await raw(
      'PATCH',
      `/Groups/${groupId}`,
      patchBody({ op: 'add', path: 'members', value: [{ value: '..' }] }),
    );
    expectError(add, 400, 'invalidValue', /not a resource id/);
    const remove = await raw('PATCH', `/Groups/${groupId}`, patchBody({ op: 'remove', path: 'members[value eq "."]' }));
    expectError(remove, 400, 'noTarget', /not a resource id/);
    const removeByValue = await raw(
      'PATCH',
      `/Groups/${groupId}`,
      patchBody({ op: 'remove', path: 'members', value: [{ value: '..' }] }),
    );
    expectError(removeByValue, 400, 'noTarget');
    expect(store.count()).toBe(0);
  });

  it('refuses a member "." in PUT with invalidValue without checking members in the store', async () => {
    const reply = await raw('PUT', `/Groups/${groupId}`, {
      schemas: [GROUP_SCHEMA],
      displayName: 'Target',
      members: [{ value: '.' }],
    });
    expectError(reply, 400, 'invalidValue', /not a resource id/);
    expect(store.count('existing')).toBe(0);
    expect(store.count('changeMembers')).toBe(0);
  });
});

describe('finding 3: members per request', () => {
  it('refuses 20,000 unknown members in one POST with invalidValue naming the cap, asking the store nothing', async () => {
    const reply = await raw('POST', '/Groups', {
      schemas: [GROUP_SCHEMA],
      displayName: 'Flood',
      members: uuids(20_000),
    });
    expectError(reply, 400, 'invalidValue', /at most 1000 \(maxMembersPerRequest\)/);
    expect(store.count()).toBe(0);
  });

  it('counts the members of all operations of one PATCH together', async () => {
    const half = limits.maxMembersPerRequest / 2 + 100;
    const body = patchBody(
      { op: 'add', path: 'members', value: uuids(half) },
      { op: 'add', path: 'members', value: uuids(half) },
    );
    expectError(await raw('PATCH', `/Groups/${groupId}`, body), 400, 'invalidValue', /maxMembersPerRequest/);
    expect(store.count()).toBe(0);
  });

  it('refuses a PUT with one member over the cap before checking any member', async () => {
    const members = uuids(limits.maxMembersPerRequest + 1);
    const reply = await raw('PUT', `/Groups/${groupId}`, { schemas: [GROUP_SCHEMA], displayName: 'Target', members });
    expectError(reply, 400, 'invalidValue', /maxMembersPerRequest/);
    expect(store.count('existing')).toBe(0);
  });

  it('checks a PATCH of unknown members at the cap with one lookup per type, and adds none', async () => {
    const body = patchBody({ op: 'add', path: 'members', value: uuids(limits.maxMembersPerRequest) });
    expectError(await raw('PATCH', `/Groups/${groupId}`, body), 400, 'invalidValue', /not an existing/);
    expect(store.count('existing')).toBe(2);
    expect(store.count('changeMembers')).toBe(0);
  });
});

describe('finding 4: listings', () => {
  it('lists groups without members, reading no member list', async () => {
    const reply = await raw('GET', '/Groups');
    expect(reply.status).toBe(200);
    expect(reply.body.Resources.length).toBeGreaterThan(0);
    for (const group of reply.body.Resources) expect(group).not.toHaveProperty('members');
    expect(store.count('getMembers')).toBe(0);
  });

  it('returns members when attributes names them, at most maxGroupsWithMembers groups a page', async () => {
    for (let i = 0; i <= limits.maxGroupsWithMembers; i++) {
      await server.call('POST', '/Groups', { body: { schemas: [GROUP_SCHEMA], displayName: `Page ${i}` } });
    }
    store.reset();
    const reply = await raw('GET', '/Groups?attributes=displayName,members&count=1000');
    expect(reply.body.itemsPerPage).toBe(limits.maxGroupsWithMembers);
    expect(reply.body.totalResults).toBeGreaterThan(limits.maxGroupsWithMembers);
    expect(reply.body.Resources.find((g: { id: string }) => g.id === groupId).members).toEqual([
      expect.objectContaining({ value: userId }),
    ]);
    expect(store.count('getMembers')).toBe(limits.maxGroupsWithMembers);
  });

  it('refuses filter=members pr with invalidFilter without reading any group', async () => {
    expectError(await raw('GET', `/Groups?${filterOf('members pr')}`), 400, 'invalidFilter', /members/);
    expect(store.count()).toBe(0);
  });

  it('answers a member filter from the membership index without reading member lists', async () => {
    const reply = await raw('GET', `/Groups?${filterOf(`members[value eq "${userId}"]`)}`);
    expect(reply.body.Resources.map((g: { id: string }) => g.id)).toEqual([groupId]);
    expect(store.count('getMembers')).toBe(0);
  });

  it('refuses a 4,096-character filter of about 450 terms with invalidFilter naming the cap, querying nothing', async () => {
    let filter = 'userName eq "a"';
    while (filter.length + 12 <= limits.maxFilterLength) filter += ' or ti pr';
    expect(filter.length).toBeGreaterThan(limits.maxFilterLength - 12);
    const reply = await raw('GET', `/Users?${filterOf(filter)}`);
    expectError(reply, 400, 'invalidFilter', /maxFilterTerms/);
    expect(store.count()).toBe(0);
  });

  it('refuses more attributes than maxProjectionAttributes with invalidValue', async () => {
    const attributes = Array.from({ length: limits.maxProjectionAttributes + 1 }, (_, i) => `a${i}`).join(',');
    expectError(await raw('GET', `/Users?attributes=${attributes}`), 400, 'invalidValue', /maxProjectionAttributes/);
    expect(store.count()).toBe(0);
  });
});
