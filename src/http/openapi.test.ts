import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE_URL, startTestServer, type TestServer } from '../../test/support/scim-test-server.ts';
import { unavailable } from '../scim/errors.ts';
import { createScimService } from '../scim/operations.ts';
import { ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA } from '../scim/schemas.ts';
import type { ScimStore } from '../scim/store.ts';
import { createMemoryStore } from '../store/memory-store.ts';
import { type Answer, departures, operationsOf, resolve } from './openapi/document-check.test-support.ts';
import { OPENAPI_PATH, openApiDocument } from './openapi.ts';
import { scimRoutes } from './routes.ts';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const UNREACHABLE = '00000000-0000-4000-8000-000000000503';
// biome-ignore lint/suspicious/noExplicitAny: the document is plain JSON read freely here
const document: any = openApiDocument(BASE_URL);

/** Routed only to answer 501, so not part of the description (see openapi.ts). */
const NOT_DESCRIBED = ['/Me', '/Me/*rest', '/Bulk', '/Bulk/*rest', '/.search'];

/** `path → methods` of the router's own routes; a route that only has `.all()` maps to no methods. */
function routedPaths(): Map<string, string[]> {
  const router = scimRoutes(createScimService({ store: createMemoryStore(), baseUrl: BASE_URL }));
  const routed = new Map<string, string[]>();
  for (const layer of router.stack) {
    const route = layer.route as { path: string | string[]; methods: Record<string, boolean> } | undefined;
    if (!route) continue;
    const methods = Object.keys(route.methods).filter((method) => method !== '_all');
    for (const path of [route.path].flat()) routed.set(path.replace(/:(\w+)/g, '{$1}'), methods.sort());
  }
  return routed;
}

describe('the OpenAPI document', () => {
  it('describes exactly the paths and methods the router serves, apart from the 501-only routes', () => {
    const routed = routedPaths();
    const described = new Map<string, string[]>();
    for (const { template, method } of operationsOf(document)) {
      described.set(template, [...(described.get(template) ?? []), method].sort());
    }
    for (const path of NOT_DESCRIBED) {
      expect(routed.get(path), `${path} is no longer an .all() route; describe it or drop it`).toEqual([]);
      routed.delete(path);
    }
    expect(Object.fromEntries(described)).toEqual(Object.fromEntries(routed));
  });

  it('resolves every $ref it contains', () => {
    const refs: string[] = [];
    const walk = (node: unknown) => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object') {
        const ref = (node as { $ref?: unknown }).$ref;
        if (typeof ref === 'string') refs.push(ref);
        Object.values(node).forEach(walk);
      }
    };
    walk(document);
    expect(refs.length).toBeGreaterThan(50);
    expect(refs.filter((ref) => resolve(document, { $ref: ref }) === undefined)).toEqual([]);
  });

  it('gives every error answer the RFC 7644 error body, with status as a string', () => {
    const error = document.components.schemas.Error;
    expect(error.properties.status.type).toBe('string');
    expect(error.properties.schemas.items.const).toBe('urn:ietf:params:scim:api:messages:2.0:Error');
    for (const { operation } of operationsOf(document)) {
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) < 400 || status === '431') continue;
        const content = (response as { content: Record<string, { schema: unknown }> }).content;
        expect(Object.keys(content).sort()).toEqual(['application/json', 'application/scim+json']);
        expect(content['application/scim+json']!.schema).toEqual({ $ref: '#/components/schemas/Error' });
      }
    }
  });

  it('takes its User attributes from the schema registry', () => {
    const user = document.components.schemas.User.properties;
    expect(Object.keys(user)).toEqual(expect.arrayContaining(['userName', 'emails', 'groups', ENTERPRISE_USER_SCHEMA]));
    expect(user.active).toMatchObject({ type: 'boolean' });
    expect(user.groups).toMatchObject({ type: 'array', readOnly: true });
    expect(document.components.schemas.UserRequest.properties.groups).toBeUndefined();
    expect(document.components.schemas.UserRequest.required).toEqual(['userName']);
  });
});

describe('real answers of the endpoint', () => {
  let server: TestServer;
  const answers: Answer[] = [];

  beforeAll(async () => {
    // One id stands for an API server that cannot be reached, to see a 503 answer too.
    const store = createMemoryStore();
    const get: ScimStore['get'] = (ctx, type, id) => {
      if (id === UNREACHABLE) throw unavailable('The API server cannot be reached');
      return store.get(ctx, type, id);
    };
    server = await startTestServer({ store: { ...store, get } });
  });
  afterAll(async () => {
    await server.close();
  });

  async function call(method: string, path: string, options: Parameters<TestServer['call']>[2] = {}) {
    const reply = await server.call(method, path, options);
    answers.push({ method, path, status: reply.status, headers: reply.headers, body: reply.body });
    return reply;
  }

  it('match the document for every operation, error answers included', async () => {
    for (const path of ['/ServiceProviderConfig', '/ResourceTypes', '/ResourceTypes/User', '/ResourceTypes/Nope']) {
      await call('GET', path);
    }
    for (const path of ['/Schemas', `/Schemas/${USER_SCHEMA}`, `/Schemas/${ENTERPRISE_USER_SCHEMA}`, '/Schemas/x']) {
      await call('GET', path);
    }
    await call('GET', OPENAPI_PATH);
    await call('GET', '/Users', { token: null });

    const user = (await call('POST', '/Users', { body: fullUser('ada') })).body;
    const other = (await call('POST', '/Users', { body: { schemas: [USER_SCHEMA], userName: 'grace' } })).body;
    await call('POST', '/Users', { body: fullUser('ada') });
    await call('POST', '/Users', { body: { schemas: [USER_SCHEMA], displayName: 'no userName' } });
    await call('POST', '/Users', { body: 'userName=x', headers: { 'content-type': 'text/plain' } });
    await call('POST', '/Users', { body: { userName: 'big', title: 'x'.repeat(1100 * 1024) } });
    const group = (
      await call('POST', '/Groups', {
        body: { schemas: [GROUP_SCHEMA], displayName: 'Engineers', members: [{ value: user.id }] },
      })
    ).body;
    await call('POST', '/Groups', { body: { schemas: [GROUP_SCHEMA], displayName: 'Engineers' } });

    for (const [type, id] of [
      ['Users', user.id],
      ['Groups', group.id],
    ]) {
      await call('GET', `/${type}`);
      await call('GET', `/${type}?filter=${encodeURIComponent('id eq "x" and')}`);
      await call('GET', `/${type}?count=1&startIndex=2&attributes=id&excludedAttributes=meta`);
      await call('GET', `/${type}/${id}`);
      await call('GET', `/${type}/${id}?attributes=displayName`);
      await call('GET', `/${type}/missing`);
      await call('GET', `/${type}/${UNREACHABLE}`);
      await call('PATCH', `/${type}/${id}`, { body: patch('replace', 'displayName', `${type} renamed`) });
      await call('PATCH', `/${type}/${id}?attributes=displayName`, { body: patch('add', 'externalId', 'ext-1') });
      await call('PATCH', `/${type}/${id}`, { body: patch('replace', 'nonsense', 'x') });
      await call('PATCH', `/${type}/${id}`, {
        body: patch('add', 'displayName', 'stale'),
        headers: { 'if-match': 'W/"0"' },
      });
    }
    await call('PATCH', `/Groups/${group.id}`, { body: patch('add', 'members', [{ value: other.id }]) });
    await call('PUT', `/Users/${other.id}`, { body: { schemas: [USER_SCHEMA], userName: 'ada' } });
    await call('PUT', `/Users/${other.id}`, { body: fullUser('grace') });
    await call('PUT', `/Groups/${group.id}`, {
      body: { schemas: [GROUP_SCHEMA], displayName: 'Engineering' },
      headers: { 'if-match': 'W/"0"' },
    });
    await call('PUT', `/Groups/${group.id}`, { body: { schemas: [GROUP_SCHEMA], displayName: 'Engineering' } });
    await call('GET', `/Users/${user.id}`);
    await call('DELETE', `/Groups/${group.id}`, { headers: { 'if-match': 'W/"0"' } });
    await call('DELETE', `/Groups/${group.id}`);
    await call('DELETE', `/Users/${user.id}`);
    await call('DELETE', `/Users/${user.id}`);

    expect(answers.flatMap((answer) => departures(document, answer))).toEqual([]);
    const statuses = new Set(answers.map((answer) => answer.status));
    expect([...statuses].sort()).toEqual([200, 201, 204, 400, 401, 404, 409, 412, 413, 415, 503]);
  });

  it('answers a method the document does not list with 405 and an Allow header listing the ones it does', async () => {
    const described = new Map<string, string[]>();
    for (const { template, method } of operationsOf(document)) {
      described.set(template, [...(described.get(template) ?? []), method.toUpperCase()]);
    }
    for (const [template, methods] of described) {
      const path = template.replace('{id}', 'some-id');
      const other = ['DELETE', 'GET', 'PATCH', 'POST', 'PUT'].find((method) => !methods.includes(method))!;
      const reply = await server.call(other, path);
      expect(reply.status, `${other} ${path}`).toBe(405);
      const allowed = reply.headers.get('allow')?.split(', ');
      expect(allowed?.sort(), `${other} ${path}`).toEqual(
        [...methods, ...(methods.includes('GET') ? ['HEAD'] : [])].sort(),
      );
    }
  });

  it('exercised every operation of the document', () => {
    const answered = new Set(answers.map((a) => `${a.method} ${a.path}`));
    const unexercised = operationsOf(document).filter(({ method, template }) => {
      const pattern = new RegExp(`^${method.toUpperCase()} ${template.replace(/\{\w+\}/g, '[^/?]+')}(\\?|$)`, 'i');
      return ![...answered].some((a) => pattern.test(a));
    });
    expect(unexercised.map(({ method, template }) => `${method} ${template}`)).toEqual([]);
  });
});

function patch(op: string, path: string, value: unknown) {
  return { schemas: [PATCH_OP], Operations: [{ op, path, value }] };
}

/** A User with a value for every attribute the registry stores. */
function fullUser(userName: string) {
  return {
    schemas: [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
    userName,
    externalId: `ext-${userName}`,
    name: { formatted: 'Ada Lovelace', familyName: 'Lovelace', givenName: 'Ada', middleName: 'King' },
    displayName: 'Ada Lovelace',
    nickName: 'Ada',
    profileUrl: 'https://example.com/ada',
    title: 'Analyst',
    userType: 'Employee',
    preferredLanguage: 'en-GB',
    locale: 'en-GB',
    timezone: 'Europe/London',
    active: true,
    emails: [{ value: `${userName}@example.com`, type: 'work', primary: true }],
    phoneNumbers: [{ value: '+44 20 0000 0000', type: 'work' }],
    ims: [{ value: 'ada', type: 'xmpp' }],
    photos: [{ value: 'https://example.com/ada.png', type: 'photo' }],
    addresses: [{ streetAddress: '1 St James Sq', locality: 'London', country: 'GB', type: 'work', primary: true }],
    entitlements: [{ value: 'engine' }],
    roles: [{ value: 'analyst', display: 'Analyst' }],
    [ENTERPRISE_USER_SCHEMA]: { employeeNumber: '1815', department: 'Mathematics', manager: { value: 'babbage' } },
  };
}
