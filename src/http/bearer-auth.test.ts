import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unavailable } from '../scim/errors.ts';
import { bearerAuth, tokenAuthenticator } from './bearer-auth.ts';
import { scimErrorHandler } from './error-handler.ts';

describe('bearerAuth', () => {
  let known = false;
  const valid = tokenAuthenticator([{ token: 'token-a', connection: 'entra' }]);
  let url = '';
  let close: () => Promise<void>;
  beforeAll(async () => {
    const app = express();
    app.use(
      bearerAuth((token) => {
        if (!known) throw unavailable('The SCIM endpoint is not ready: token Secret ns/tokens not read yet', 10);
        return valid(token);
      }),
    );
    app.get('/', (_req, res) => void res.json({ connection: res.locals.connection }));
    app.use(scimErrorHandler());
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    close = () => new Promise((resolve) => server.close(() => resolve()));
  });
  afterAll(() => close());

  const call = (authorization?: string) => fetch(url, { headers: authorization ? { authorization } : {} });

  it('answers 503 with Retry-After, not 401, to any token while the authenticator cannot tell yet', async () => {
    known = false;
    for (const authorization of ['Bearer token-a', 'Bearer wrong', undefined]) {
      const reply = await call(authorization);
      expect(reply.status).toBe(503);
      expect(reply.headers.get('retry-after')).toBe('10');
      expect(reply.headers.get('www-authenticate')).toBeNull();
      expect(await reply.json()).toMatchObject({ status: '503', detail: expect.stringContaining('not read yet') });
    }
  });

  it('answers 401 to a missing or wrong token, and passes a valid one with its connection, once it can tell', async () => {
    known = true;
    expect((await call()).status).toBe(401);
    expect((await call('Bearer wrong')).status).toBe(401);
    const ok = await call('Bearer token-a');
    expect(await ok.json()).toEqual({ connection: 'entra' });
  });
});
