/** Helpers of the HTTP tests that talk to a SCIM test server: schema URNs, the server's lifecycle, users and members. */

import { afterAll, beforeAll, expect } from 'vitest';
import { startTestServer, type TestServer } from '../../test/support/scim-test-server.ts';

export const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const SEARCH_REQUEST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

/** A test server started before the calling file's tests and closed after them; the result delegates to it. */
export function serverForFile(): TestServer {
  let started: TestServer | undefined;
  beforeAll(async () => {
    started = await startTestServer();
  });
  afterAll(async () => {
    await started?.close();
  });
  const current = (): TestServer => {
    if (!started) throw new Error('The test server starts in beforeAll: use it inside a test');
    return started;
  };
  return {
    get url() {
      return current().url;
    },
    get store() {
      return current().store;
    },
    call: (method, path, options) => current().call(method, path, options),
    close: () => current().close(),
  };
}

export const suffix = () => crypto.randomUUID().slice(0, 8);
export const filterQuery = (filter: string) => `filter=${encodeURIComponent(filter)}`;
export const patch = (...Operations: object[]) => ({ schemas: [PATCH_OP], Operations });

export function userName(prefix = 'user'): string {
  return `${prefix}-${suffix()}@example.com`;
}

export async function createUser(server: TestServer, name = userName(), extra: Record<string, unknown> = {}) {
  const reply = await server.call('POST', '/Users', { body: { schemas: [USER], userName: name, ...extra } });
  expect(reply.status).toBe(201);
  return reply.body as { id: string; userName: string; meta: { version: string } };
}

/** The member ids of a group, sorted, as its GET returns them. */
export async function memberIds(server: TestServer, groupId: string): Promise<string[]> {
  const reply = await server.call('GET', `/Groups/${groupId}`);
  return (reply.body.members ?? []).map((m: { value: string }) => m.value).sort();
}
