import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CircuitBreaker } from './circuit-breaker.ts';
import { Credentials } from './credentials.ts';
import { DownstreamError } from './errors.ts';
import { HttpTransport } from './http-transport.ts';
import { RequestLimiter } from './request-limiter.ts';
import { type AppHealth, ScimClient, type ScimClientOptions } from './scim-client.ts';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}
interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

// A SCIM service on loopback that answers from a script and records every request it receives.
const seen: Seen[] = [];
const answers: Answer[] = [];
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (chunk) => {
    body += chunk;
  });
  req.on('end', () => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    const answer = answers.shift() ?? { status: 500, body: { detail: 'no answer scripted' } };
    res.writeHead(answer.status, { 'content-type': 'application/scim+json', ...answer.headers });
    res.end(
      answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body),
    );
  });
});
let baseUrl = '';
const transports: HttpTransport[] = [];

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/scim/v2/`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});
afterEach(() => {
  seen.length = 0;
  answers.length = 0;
  for (const t of transports.splice(0)) t.close();
});

function client(options: Partial<ScimClientOptions> = {}) {
  const transport = new HttpTransport();
  transports.push(transport);
  const credentials = new Credentials({ bearer: { token: { name: 'app-token', key: 'token' } } }, () => 'secret-1');
  const health: AppHealth[] = [];
  const observed: [string, string][] = [];
  const scim = new ScimClient({
    baseUrl,
    timeoutMs: 5_000,
    transport,
    credentials,
    limiter: new RequestLimiter({ ratePerSecond: 1000, burst: 1000, maxConcurrent: 4 }),
    onHealth: (h) => health.push(h),
    observe: (method, code) => observed.push([method, code]),
    ...options,
  });
  return { scim, credentials, health, observed };
}

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.unreachable('the request succeeded'),
    (err: unknown) => {
      expect(err).toBeInstanceOf(DownstreamError);
      return err as DownstreamError;
    },
  );

describe('ScimClient', () => {
  it('looks users up with an eq filter, quoting the value, and sends the bearer token and SCIM media type', async () => {
    answers.push({ status: 200, body: { Resources: [{ id: 'r1', userName: 'a"b\\c' }] } });
    const { scim } = client();

    expect(await scim.findUsers('userName', 'a"b\\c')).toEqual([{ id: 'r1', userName: 'a"b\\c' }]);

    const [request] = seen;
    const url = new URL(request!.url, 'http://x');
    expect(url.pathname).toBe('/scim/v2/Users');
    expect(url.searchParams.get('filter')).toBe('userName eq "a\\"b\\\\c"');
    expect(url.searchParams.get('count')).toBe('10');
    expect(request!.headers).toMatchObject({ authorization: 'Bearer secret-1', accept: 'application/scim+json' });
    expect(request!.headers['content-type']).toBeUndefined();
  });

  it('reads an empty ListResponse as no match, and a listing that is not one as InvalidResponse', async () => {
    answers.push({ status: 200, body: { totalResults: 0 } }, { status: 200, body: { Resources: {} } });
    const { scim } = client();
    expect(await scim.findGroups('Engineering')).toEqual([]);
    expect((await rejection(scim.findGroups('Engineering'))).code).toBe('InvalidResponse');
  });

  it('creates with a JSON body and returns the resource; a created resource without an id is InvalidResponse', async () => {
    answers.push({ status: 201, body: { id: 'r2', userName: 'ada' } }, { status: 201, body: { userName: 'bob' } });
    const { scim } = client();

    expect(await scim.create('Users', { userName: 'ada' })).toEqual({ id: 'r2', userName: 'ada' });
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/scim/v2/Users', body: '{"userName":"ada"}' });
    expect(seen[0]!.headers['content-type']).toBe('application/scim+json');
    expect((await rejection(scim.create('Users', { userName: 'bob' }))).code).toBe('InvalidResponse');
  });

  it('patches with the PatchOp schema and escapes the id in the path', async () => {
    answers.push({ status: 204 });
    const { scim } = client();
    await scim.patch('Users', 'a/b c', [{ op: 'replace', path: 'active', value: false }]);
    expect(seen[0]).toMatchObject({ method: 'PATCH', url: '/scim/v2/Users/a%2Fb%20c' });
    expect(JSON.parse(seen[0]!.body)).toEqual({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', path: 'active', value: false }],
    });
  });

  it('answers undefined for a resource the app does not have, and counts deleting one as done', async () => {
    answers.push({ status: 404 }, { status: 404 }, { status: 204 });
    const { scim } = client();
    expect(await scim.get('Users', 'gone')).toBeUndefined();
    await expect(scim.delete('Users', 'gone')).resolves.toBeUndefined();
    await expect(scim.delete('Groups', 'g1')).resolves.toBeUndefined();
    expect(seen.map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /scim/v2/Users/gone',
      'DELETE /scim/v2/Users/gone',
      'DELETE /scim/v2/Groups/g1',
    ]);
  });

  it("turns a 400 and a 409 into errors that are not retryable, carrying the app's scimType and detail", async () => {
    answers.push(
      { status: 400, body: { scimType: 'invalidValue', detail: 'userName is required' } },
      { status: 409, body: { scimType: 'uniqueness', detail: 'exists' } },
    );
    const { scim } = client();

    const bad = await rejection(scim.create('Users', {}));
    expect(bad).toMatchObject({ code: 'BadRequest', status: 400, scimType: 'invalidValue', retryable: false });
    expect(bad.message).toBe('POST /Users answered 400: userName is required');
    const conflict = await rejection(scim.create('Users', {}));
    expect(conflict).toMatchObject({ code: 'Conflict', status: 409, scimType: 'uniqueness', retryable: false });
  });

  it('holds every later request for a 429 Retry-After, without sending it', async () => {
    answers.push({ status: 429, headers: { 'retry-after': '2' } });
    const { scim, observed } = client();

    const limited = await rejection(scim.probe());
    expect(limited).toMatchObject({ code: 'RateLimited', retryAfterMs: 2000, retryable: true });
    const held = await rejection(scim.get('Users', 'r1'));
    expect(held.code).toBe('CircuitOpen');
    expect(held.retryAfterMs).toBeGreaterThan(0);
    expect(seen).toHaveLength(1);
    expect(observed).toEqual([
      ['GET', '429'],
      ['GET', 'CircuitOpen'],
    ]);
  });

  it('opens the circuit after consecutive server errors, so the next request is refused without reaching the app', async () => {
    answers.push({ status: 500 }, { status: 502 });
    const { scim, health } = client({ breaker: new CircuitBreaker({ threshold: 2 }) });

    expect((await rejection(scim.probe())).code).toBe('ServerError');
    expect((await rejection(scim.probe())).code).toBe('ServerError');
    expect((await rejection(scim.probe())).code).toBe('CircuitOpen');
    expect(seen).toHaveLength(2);
    expect(health.at(-1)).toMatchObject({ reachable: true, authenticated: true });
  });

  it('reports a 401 as not authenticated and drops cached credentials', async () => {
    answers.push({ status: 401 });
    const { scim, credentials, health } = client();
    const invalidate = vi.spyOn(credentials, 'invalidate');

    expect(await rejection(scim.probe())).toMatchObject({ code: 'Unauthorized', retryable: true });
    expect(invalidate).toHaveBeenCalledOnce();
    expect(health).toEqual([expect.objectContaining({ reachable: true, authenticated: false })]);
  });

  it('reports success as reachable and authenticated, and a body that is not JSON as InvalidResponse', async () => {
    answers.push({ status: 200, body: { Resources: [] } }, { status: 200, body: '<html>' });
    const { scim, health } = client();

    await scim.probe();
    expect(health).toEqual([expect.objectContaining({ reachable: true, authenticated: true })]);
    expect(seen[0]!.url).toBe('/scim/v2/Users?count=1&attributes=id');
    expect((await rejection(scim.get('Users', 'r1'))).code).toBe('InvalidResponse');
  });

  it('reports an app that refuses connections as unreachable', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const { scim, health, observed } = client({ baseUrl: `http://127.0.0.1:${port}` });

    expect(await rejection(scim.probe())).toMatchObject({ code: 'Unreachable', retryable: true });
    expect(health).toEqual([expect.objectContaining({ reachable: false, authenticated: undefined })]);
    expect(observed).toEqual([['GET', 'Unreachable']]);
  });

  it('sends no request and reports the app unauthenticated when its Secret holds no token', async () => {
    const transport = new HttpTransport();
    transports.push(transport);
    const { scim, health } = client({
      transport,
      credentials: new Credentials({ bearer: { token: { name: 'app-token', key: 'token' } } }, () => undefined),
    });

    expect(await rejection(scim.probe())).toMatchObject({ code: 'MissingCredentials' });
    expect(seen).toEqual([]);
    expect(health).toEqual([expect.objectContaining({ reachable: true, authenticated: false })]);
  });
});
