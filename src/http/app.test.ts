import { describe, expect, it } from 'vitest';
import { BASE_URL } from '../../test/support/scim-test-server.ts';
import { resourceTypes, schemas, USER_SCHEMA } from '../scim/schemas.ts';
import { createUser, ERROR_SCHEMA, SEARCH_REQUEST_SCHEMA, serverForFile, userName } from './scim-http.test-support.ts';

const server = serverForFile();

describe('authentication', () => {
  it('answers 401 with a SCIM error and WWW-Authenticate when the bearer token is missing, wrong or not bearer', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: 'Bearer nope' },
      { authorization: 'Basic dG9rZW4tYTp4' },
    ];
    for (const headers of attempts) {
      const reply = await server.call('GET', '/Users', { token: null, headers });
      expect(reply.status).toBe(401);
      expect(reply.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(reply.body).toEqual({ schemas: [ERROR_SCHEMA], status: '401', detail: expect.any(String) });
    }
  });

  it('refuses unauthenticated requests before reading their bodies', async () => {
    const reply = await server.call('POST', '/Users', { token: null, body: 'x'.repeat(2 * 1024 * 1024) });
    expect(reply.status).toBe(401);
  });

  it('keeps connections apart: a user created with one token is unknown to another', async () => {
    const user = await createUser(server);
    expect((await server.call('GET', `/Users/${user.id}`, { token: 'token-b' })).status).toBe(404);
    const filter = encodeURIComponent(`userName eq "${user.userName}"`);
    const other = await server.call('GET', `/Users?filter=${filter}`, { token: 'token-b' });
    expect(other.body.totalResults).toBe(0);
  });
});

describe('content types', () => {
  it('answers every response, errors included, as application/scim+json', async () => {
    for (const path of ['/Users', '/ServiceProviderConfig', '/Users/missing', '/Nowhere']) {
      const reply = await server.call('GET', path);
      expect(reply.headers.get('content-type')).toBe('application/scim+json; charset=utf-8');
    }
  });

  it('accepts bodies as application/scim+json, application/json and with a charset', async () => {
    for (const contentType of ['application/scim+json', 'application/json', 'application/scim+json; charset=utf-8']) {
      const reply = await server.call('POST', '/Users', {
        body: { schemas: [USER_SCHEMA], userName: userName() },
        headers: { 'content-type': contentType },
      });
      expect(reply.status).toBe(201);
    }
  });

  it('answers 415 for a body that is not JSON', async () => {
    const reply = await server.call('POST', '/Users', {
      body: 'userName=x',
      headers: { 'content-type': 'text/plain' },
    });
    expect(reply.status).toBe(415);
    expect(reply.body.schemas).toEqual([ERROR_SCHEMA]);
  });

  it('answers 400 invalidSyntax for malformed JSON', async () => {
    const reply = await server.call('POST', '/Users', { body: '{"userName": ' });
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ status: '400', scimType: 'invalidSyntax' });
  });

  it('answers 413 for a body over the size limit', async () => {
    const reply = await server.call('POST', '/Users', {
      body: { schemas: [USER_SCHEMA], userName: userName(), title: 'x'.repeat(1100 * 1024) },
    });
    expect(reply.status).toBe(413);
    expect(reply.body).toMatchObject({ schemas: [ERROR_SCHEMA], status: '413' });
  });
});

describe('unknown resources and routes', () => {
  it('answers 404 with a SCIM error for an unknown id', async () => {
    const reply = await server.call('GET', '/Users/5171a35d82074e068ce2');
    expect(reply.status).toBe(404);
    expect(reply.body).toEqual({ schemas: [ERROR_SCHEMA], status: '404', detail: expect.any(String) });
  });

  it('answers 404 with a SCIM error for an unknown route', async () => {
    const reply = await server.call('GET', `/${crypto.randomUUID()}`);
    expect(reply.status).toBe(404);
    expect(reply.body).toMatchObject({ schemas: [ERROR_SCHEMA], status: '404' });
  });

  it('answers 405 for methods the discovery endpoints do not support', async () => {
    const paths = [
      '/ServiceProviderConfig',
      '/ResourceTypes',
      '/ResourceTypes/User',
      '/Schemas',
      `/Schemas/${USER_SCHEMA}`,
    ];
    for (const path of paths) {
      for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
        const reply = await server.call(method, path, { body: {} });
        expect(reply.status, `${method} ${path}`).toBe(405);
        expect(reply.body).toMatchObject({ schemas: [ERROR_SCHEMA], status: '405' });
      }
    }
  });

  it('answers 405 for DELETE on a collection and 501 for /Me and /Bulk', async () => {
    expect((await server.call('DELETE', '/Users')).status).toBe(405);
    const me = await server.call('GET', '/Me');
    expect(me.status).toBe(501);
    expect(me.body).toMatchObject({ schemas: [ERROR_SCHEMA], status: '501' });
    expect((await server.call('POST', '/Bulk', { body: {} })).status).toBe(501);
  });

  it('answers 501 to a search of every resource type at once on the root /.search', async () => {
    const reply = await server.call('POST', '/.search', { body: { schemas: [SEARCH_REQUEST_SCHEMA] } });
    expect(reply.status).toBe(501);
    expect(reply.body).toMatchObject({ schemas: [ERROR_SCHEMA], status: '501' });
  });
});

describe('discovery', () => {
  it('serves the ServiceProviderConfig with patch, filter and ETags supported', async () => {
    const reply = await server.call('GET', '/ServiceProviderConfig');
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({
      patch: { supported: true },
      filter: { supported: true },
      etag: { supported: true },
    });
    expect(reply.body.meta.location).toBe(`${BASE_URL}/ServiceProviderConfig`);
  });

  it('lists the schemas and resource types of the registry, and serves each by id', async () => {
    const schemaList = await server.call('GET', '/Schemas');
    expect(schemaList.body.Resources.map((s: { id: string }) => s.id)).toEqual(schemas.map((s) => s.id));
    for (const schema of schemas) {
      const reply = await server.call('GET', `/Schemas/${schema.id}`);
      expect(reply.status).toBe(200);
      expect(reply.body.attributes.map((a: { name: string }) => a.name)).toEqual(schema.attributes.map((a) => a.name));
    }
    const typeList = await server.call('GET', '/ResourceTypes');
    expect(typeList.body.totalResults).toBe(resourceTypes.length);
    const user = await server.call('GET', '/ResourceTypes/User');
    expect(user.body).toMatchObject({ id: 'User', endpoint: '/Users', schema: USER_SCHEMA });
  });

  it('answers 404 with a SCIM error for an unknown schema or resource type', async () => {
    for (const path of ['/Schemas/urn:example:nope', '/ResourceTypes/Device']) {
      const reply = await server.call('GET', path);
      expect(reply.status).toBe(404);
      expect(reply.body.schemas).toEqual([ERROR_SCHEMA]);
    }
  });
});
