import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { notFound, ScimError } from '../scim/errors.ts';
import { apiFailureToScimError, certainlyNotWritten, isUnreachable, worthLogging } from './api-errors.ts';

function apiError(code: number, body: object | string = {}): ApiException<unknown> {
  return new ApiException(code, 'HTTP error', typeof body === 'string' ? body : JSON.stringify(body), {});
}

/** What undici's fetch rejects with when the socket fails: a TypeError whose cause names the system error. */
function fetchFailed(code: string): TypeError {
  const cause = Object.assign(new Error(`connect ${code} 127.0.0.1:6443`), { code });
  return new TypeError('fetch failed', { cause });
}

const invalidSpec = {
  kind: 'Status',
  code: 422,
  reason: 'Invalid',
  message: 'ScimUser.scim-operator.dev "3f2a" is invalid: spec.title: Too long: may not be longer than 1024',
};

describe('apiFailureToScimError', () => {
  it('passes a ScimError through unchanged', () => {
    const error = notFound('User x not found');
    expect(apiFailureToScimError(error)).toBe(error);
  });

  it.each([400, 422])('answers a %i from the API server with a generic 400 that does not quote it', (code) => {
    const error = apiFailureToScimError(apiError(code, { ...invalidSpec, code }));
    expect(error).toMatchObject({ status: 400, scimType: 'invalidValue', retryAfterSeconds: undefined });
    expect(error.message).toMatch(/refused by the stored resource schema/);
    expect(error.message).not.toMatch(/spec\.|ScimUser|scim-operator\.dev|1024/);
  });

  it('answers 413 when the API server finds the object too large', () => {
    expect(apiFailureToScimError(apiError(413))).toMatchObject({ status: 413, retryAfterSeconds: undefined });
  });

  it.each([429, 500, 502, 503, 504])('answers a %i from the API server with 503 and Retry-After', (code) => {
    expect(apiFailureToScimError(apiError(code, { code, reason: 'ServiceUnavailable' }))).toMatchObject({
      status: 503,
      retryAfterSeconds: 5,
    });
  });

  it('answers a conflict that reached the caller (retries exhausted) with 503 and Retry-After', () => {
    expect(apiFailureToScimError(apiError(409, { code: 409, reason: 'Conflict' }))).toMatchObject({ status: 503 });
  });

  it.each(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT'])(
    'answers an unreachable API server (%s) with 503 and Retry-After',
    (code) => {
      expect(apiFailureToScimError(fetchFailed(code))).toMatchObject({ status: 503, retryAfterSeconds: 5 });
    },
  );

  it('answers a timed-out request (AbortError) with 503', () => {
    const aborted = new DOMException('This operation was aborted', 'AbortError');
    expect(isUnreachable(aborted)).toBe(true);
    expect(apiFailureToScimError(aborted)).toMatchObject({ status: 503 });
  });

  it.each([
    ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'spec')")],
    ['a RangeError', new RangeError('Invalid array length')],
    ['a thrown string', 'boom'],
  ])('answers %s (a bug) with 500 and no Retry-After', (_name, bug) => {
    const error = apiFailureToScimError(bug);
    expect(error).toBeInstanceOf(ScimError);
    expect(error).toMatchObject({ status: 500, retryAfterSeconds: undefined });
    expect(error.message).not.toMatch(/properties|array/);
  });

  it.each([401, 403])('answers a %i from the API server (restarting authorizer, or our RBAC) with 503', (code) => {
    expect(apiFailureToScimError(apiError(code, { code, reason: 'Forbidden' }))).toMatchObject({
      status: 503,
      retryAfterSeconds: 5,
    });
  });

  it.each([404])('answers a %i from the API server (a 404 the caller missed) with 500', (code) => {
    expect(apiFailureToScimError(apiError(code))).toMatchObject({ status: 500, retryAfterSeconds: undefined });
  });
});

describe('worthLogging', () => {
  it('logs refusals and every 5xx with the original error, but not the errors the client can act on', () => {
    const refused = apiError(422, invalidSpec);
    expect(worthLogging(refused, apiFailureToScimError(refused))).toBe(true);
    const bug = new TypeError('x is not a function');
    expect(worthLogging(bug, apiFailureToScimError(bug))).toBe(true);
    const outage = fetchFailed('ECONNREFUSED');
    expect(worthLogging(outage, apiFailureToScimError(outage))).toBe(true);
    const missing = notFound('User x not found');
    expect(worthLogging(missing, apiFailureToScimError(missing))).toBe(false);
  });
});

describe('certainlyNotWritten', () => {
  it('is true only when the API server answered a create with a refusal, so that its claim may be released', () => {
    expect(certainlyNotWritten(apiError(422, invalidSpec))).toBe(true);
    expect(certainlyNotWritten(apiError(403))).toBe(true);
    // The object may have been stored before the answer was lost or the server failed: the outcome is unknown.
    expect(certainlyNotWritten(fetchFailed('ECONNRESET'))).toBe(false);
    expect(certainlyNotWritten(apiError(500))).toBe(false);
    expect(certainlyNotWritten(apiError(504))).toBe(false);
    expect(certainlyNotWritten(new Error('The operation was aborted'))).toBe(false);
  });
});
