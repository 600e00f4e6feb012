import { describe, expect, it } from 'vitest';
import { startTestServer } from '../../test/support/scim-test-server.ts';
import { USER_SCHEMA } from '../scim/schemas.ts';
import type { ScimStore } from '../scim/store.ts';
import { createMemoryStore } from '../store/memory-store.ts';
import { createUser, ERROR_SCHEMA, serverForFile } from './scim-http.test-support.ts';

const server = serverForFile();

describe('query parameters', () => {
  it('answers an unmatched filter with 200 and an empty ListResponse, never 404', async () => {
    const filter = encodeURIComponent(`userName eq "${crypto.randomUUID()}"`);
    const reply = await server.call('GET', `/Users?filter=${filter}`);
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ totalResults: 0, Resources: [], startIndex: 1, itemsPerPage: 0 });
  });

  it('decodes + as a space in filters', async () => {
    const user = await createUser(server, undefined, { externalId: `ext-${crypto.randomUUID()}` });
    const stored = await server.call('GET', `/Users/${user.id}`);
    const reply = await server.call('GET', `/Users?filter=externalId+eq+%22${stored.body.externalId}%22`);
    expect(reply.body.totalResults).toBe(1);
  });

  it('answers 400 invalidFilter for a filter it cannot parse', async () => {
    const reply = await server.call('GET', `/Users?filter=${encodeURIComponent('userName eq')}`);
    expect(reply.status).toBe(400);
    expect(reply.body.scimType).toBe('invalidFilter');
  });

  it('answers 400 invalidValue for a count or startIndex that is not an integer', async () => {
    for (const query of ['count=abc', 'startIndex=1.5', 'count=10&count=20']) {
      const reply = await server.call('GET', `/Users?${query}`);
      expect(reply.status, query).toBe(400);
      expect(reply.body.scimType).toBe('invalidValue');
    }
  });

  it('pages 250 users with count=100 so that each appears exactly once, in a stable order', async () => {
    const store = createMemoryStore();
    const paging = await startTestServer({ store });
    try {
      for (let i = 0; i < 250; i++) await store.create({ connection: 'a' }, 'User', { userName: `page-${i}` });
      const seen: string[] = [];
      for (const startIndex of [1, 101, 201]) {
        const reply = await paging.call('GET', `/Users?startIndex=${startIndex}&count=100`);
        expect(reply.body).toMatchObject({ totalResults: 250, startIndex });
        expect(reply.body.itemsPerPage).toBe(startIndex === 201 ? 50 : 100);
        seen.push(...reply.body.Resources.map((r: { id: string }) => r.id));
      }
      expect(new Set(seen).size).toBe(250);
      const again = await paging.call('GET', '/Users?startIndex=101&count=100');
      expect(again.body.Resources.map((r: { id: string }) => r.id)).toEqual(seen.slice(100, 200));
      const none = await paging.call('GET', '/Users?count=0');
      expect(none.body).toMatchObject({ totalResults: 250, itemsPerPage: 0, Resources: [] });
    } finally {
      await paging.close();
    }
  });

  it('honours attributes and excludedAttributes on single reads and lists', async () => {
    const user = await createUser(server, undefined, {
      displayName: 'Babs',
      emails: [{ value: 'b@example.com', type: 'work' }],
    });
    const only = await server.call('GET', `/Users/${user.id}?attributes=userName,emails.value`);
    expect(only.body).toEqual({
      schemas: [USER_SCHEMA],
      id: user.id,
      userName: user.userName,
      emails: [{ value: 'b@example.com' }],
      meta: { resourceType: 'User' },
    });
    const without = await server.call('GET', `/Users/${user.id}?excludedAttributes=emails,displayName`);
    expect(without.body).not.toHaveProperty('emails');
    expect(without.body).not.toHaveProperty('displayName');
    expect(without.body.userName).toBe(user.userName);

    const filter = encodeURIComponent(`userName eq "${user.userName}"`);
    const listed = await server.call('GET', `/Users?filter=${filter}&attributes=id`);
    expect(listed.body.Resources).toEqual([{ schemas: [USER_SCHEMA], id: user.id, meta: { resourceType: 'User' } }]);
  });
});

describe('ETags', () => {
  it('sends meta.version as the ETag header and applies If-Match to PUT, PATCH and DELETE', async () => {
    const user = await createUser(server);
    const read = await server.call('GET', `/Users/${user.id}`);
    expect(read.headers.get('etag')).toBe(read.body.meta.version);
    const body = { schemas: [USER_SCHEMA], userName: user.userName, title: 'Engineer' };

    const put = await server.call('PUT', `/Users/${user.id}`, {
      body,
      headers: { 'if-match': read.body.meta.version },
    });
    expect(put.status).toBe(200);
    expect(put.headers.get('etag')).toBe(put.body.meta.version);
    expect(put.body.meta.version).not.toBe(read.body.meta.version);

    const stale = { 'if-match': read.body.meta.version };
    expect((await server.call('PUT', `/Users/${user.id}`, { body, headers: stale })).status).toBe(412);
    const patchBody = {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', path: 'title', value: 'x' }],
    };
    expect((await server.call('PATCH', `/Users/${user.id}`, { body: patchBody, headers: stale })).status).toBe(412);
    expect((await server.call('DELETE', `/Users/${user.id}`, { headers: stale })).status).toBe(412);

    const any = await server.call('PATCH', `/Users/${user.id}`, { body: patchBody, headers: { 'if-match': '*' } });
    expect(any.status).toBe(200);
    expect(any.body.title).toBe('x');
  });
});

describe('failures', () => {
  function failingStore(failure: (method: string) => Promise<never> | undefined): ScimStore {
    const inner = createMemoryStore();
    return new Proxy(inner, {
      get(target, method: keyof ScimStore) {
        const original = target[method] as (...args: unknown[]) => Promise<unknown>;
        return (...args: unknown[]) => failure(String(method)) ?? original.apply(target, args);
      },
    });
  }

  it('answers 500 without internals when the store fails unexpectedly, never 404', async () => {
    const errors: object[] = [];
    const logger = { info() {}, warn() {}, error: (object: object) => errors.push(object) };
    const broken = await startTestServer({
      store: failingStore(() => Promise.reject(new Error('etcd exploded at 10.0.0.1'))),
      logger,
    });
    try {
      const reply = await broken.call('GET', `/Users/${crypto.randomUUID()}`);
      expect(reply.status).toBe(500);
      expect(JSON.stringify(reply.body)).not.toContain('etcd');
      expect(reply.body).toMatchObject({ schemas: [ERROR_SCHEMA], status: '500' });
      expect(errors).toHaveLength(1);
    } finally {
      await broken.close();
    }
  });

  it('answers 503 with Retry-After when a request outlives its deadline', async () => {
    const slow = await startTestServer({
      store: failingStore(() => new Promise<never>(() => {})),
      limits: { maxBodyBytes: 1024, requestTimeoutMs: 50 },
    });
    try {
      const reply = await slow.call('GET', '/Users');
      expect(reply.status).toBe(503);
      expect(reply.headers.get('retry-after')).toBe('5');
      expect(reply.body).toMatchObject({ schemas: [ERROR_SCHEMA], status: '503' });
    } finally {
      await slow.close();
    }
  });
});

describe('observability', () => {
  it('echoes or issues a request id and logs one line per request without the token or the query', async () => {
    const lines: Record<string, unknown>[] = [];
    const observed: unknown[][] = [];
    let inFlight = 0;
    const logged = await startTestServer({
      logger: { info: (line: object) => lines.push(line as Record<string, unknown>), warn() {}, error() {} },
      metrics: {
        observeRequest: (...args: unknown[]) => observed.push(args),
        inFlight: (delta: number) => {
          inFlight += delta;
        },
      },
    });
    try {
      const echoed = await logged.call('GET', '/Users?filter=userName%20eq%20%22secret%40x%22', {
        headers: { 'x-request-id': 'req-123' },
      });
      expect(echoed.headers.get('x-request-id')).toBe('req-123');
      const issued = await logged.call('GET', '/Groups');
      expect(issued.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      await new Promise((resolve) => setTimeout(resolve, 10));

      expect(lines[0]).toMatchObject({
        requestId: 'req-123',
        method: 'GET',
        path: '/scim/v2/Users',
        status: 200,
        connection: 'a',
      });
      expect(JSON.stringify(lines)).not.toContain('token-a');
      expect(JSON.stringify(lines)).not.toContain('secret');
      expect(observed[0]).toEqual(['Users', 'GET', 200, expect.any(Number)]);
      expect(observed[1]?.[0]).toBe('Groups');
      expect(inFlight).toBe(0);
    } finally {
      await logged.close();
    }
  });
});
