/**
 * Hostile requests from the review against the Kubernetes store, with the store's API request counter as witness.
 * Ids that are not ids: `.` and `..` in a URL, a filter or a member value used to reach the API server as path
 * segments, where `.` named the ScimUser collection (every user of every connection, unpaged) and `..` an
 * APIResourceList (a TypeError, answered as 503); now they cause no API request. Members per request: 50,000 unknown
 * ids meant up to 100,000 GETs; now a request names at most `maxMembersPerRequest`, each costing at most two reads.
 * Paths go out byte for byte through node:http (fetch would resolve `%2E`).
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { limits } from '../../src/scim/schemas.ts';
import {
  filterQuery,
  type KubernetesTestServer,
  startKubernetesTestServer,
} from '../support/kubernetes-scim-server.ts';
import { rawScimRequest } from '../support/scim-test-server.ts';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

let server: KubernetesTestServer;
let groupId: string;

beforeAll(async () => {
  server = await startKubernetesTestServer();
  const user = await server.call('POST', '/Users', { body: { schemas: [USER], userName: 'strict@example.com' } });
  expect(user.status).toBe(201);
  const group = await server.call('POST', '/Groups', { body: { schemas: [GROUP], displayName: 'Strict' } });
  groupId = group.body.id;
});
afterAll(async () => {
  await server?.stop();
});

function raw(method: string, path: string, body?: unknown) {
  return rawScimRequest(server.url, method, path, body);
}

/** The API server requests `run` causes. */
async function requestsOf(run: () => Promise<void>): Promise<number> {
  const before = server.store.requestCount();
  await run();
  return server.store.requestCount() - before;
}

describe('ids that are not ids, on the Kubernetes store', () => {
  it.each(['/Users/%2E', '/Users/%2E%2E', '/Groups/%2e', '/Groups/%2E%2e'])(
    'answers GET, PATCH and DELETE %s with 404 and no API request',
    async (path) => {
      const requests = await requestsOf(async () => {
        for (const [method, body] of [
          ['GET', undefined],
          ['PATCH', { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'displayName', value: 'x' }] }],
          ['DELETE', undefined],
        ] as const) {
          const reply = await raw(method, path, body);
          expect({ status: reply.status, body: reply.body?.status }).toEqual({ status: 404, body: '404' });
        }
      });
      expect(requests).toBe(0);
    },
  );

  it('answers filter=id eq "." and ".." with an empty list and no API request', async () => {
    const requests = await requestsOf(async () => {
      for (const filter of ['id eq "."', 'id eq ".."']) {
        const reply = await raw('GET', `/Users?${filterQuery(filter)}`);
        expect(reply.status).toBe(200);
        expect(reply.body).toMatchObject({ totalResults: 0, Resources: [] });
      }
    });
    expect(requests).toBe(0);
  });

  it('refuses a member "." or ".." with 400 and no API request', async () => {
    const requests = await requestsOf(async () => {
      const add = await raw('PATCH', `/Groups/${groupId}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'add', path: 'members', value: [{ value: '.' }] }],
      });
      expect({ status: add.status, scimType: add.body.scimType }).toEqual({ status: 400, scimType: 'invalidValue' });
      const remove = await raw('PATCH', `/Groups/${groupId}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'remove', path: 'members[value eq ".."]' }],
      });
      expect({ status: remove.status, scimType: remove.body.scimType }).toEqual({ status: 400, scimType: 'noTarget' });
      const post = await raw('POST', '/Groups', { schemas: [GROUP], displayName: 'Dots', members: [{ value: '..' }] });
      expect({ status: post.status, scimType: post.body.scimType }).toEqual({ status: 400, scimType: 'invalidValue' });
    });
    expect(requests).toBe(0);
  });
});

describe('members per request, on the Kubernetes store', () => {
  const unknown = (count: number) => Array.from({ length: count }, () => ({ value: crypto.randomUUID() }));
  const addMembers = (members: unknown[]) =>
    raw('PATCH', `/Groups/${groupId}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'add', path: 'members', value: members }],
    });

  it('refuses one member over the cap with 400 and no API request', async () => {
    const requests = await requestsOf(async () => {
      const reply = await addMembers(unknown(limits.maxMembersPerRequest + 1));
      expect({ status: reply.status, scimType: reply.body.scimType }).toEqual({
        status: 400,
        scimType: 'invalidValue',
      });
      expect(reply.body.detail).toContain('maxMembersPerRequest');
    });
    expect(requests).toBe(0);
  });

  it('checks unknown members typed User with at most one read each, and stops before looking for groups', async () => {
    const members = unknown(200).map((member) => ({ ...member, type: 'User' }));
    const requests = await requestsOf(async () => {
      const reply = await addMembers(members);
      expect({ status: reply.status, scimType: reply.body.scimType }).toEqual({
        status: 400,
        scimType: 'invalidValue',
      });
    });
    // One read of the group, then one per member id the cache has not seen.
    expect(requests).toBeLessThanOrEqual(members.length + 2);
  });
});
