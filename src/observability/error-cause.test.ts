import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { describeError, serializeError } from './error-cause.ts';

const tooManyRequests = () =>
  new ApiException(
    429,
    'Unknown API Status Code!',
    JSON.stringify({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      message: 'storage is (re)initializing',
      reason: 'TooManyRequests',
      details: { retryAfterSeconds: 1 },
      code: 429,
    }),
    { 'content-type': 'application/json', 'retry-after': '1', 'audit-id': 'b7e1' },
  );

describe('describeError', () => {
  it('gives an ApiException as status, reason and message, without its body or headers', () => {
    expect(describeError(tooManyRequests())).toBe('429 TooManyRequests: storage is (re)initializing');
  });

  it('gives an ApiException without a body as its status', () => {
    expect(describeError(new ApiException(401, 'Unauthorized', undefined, {}))).toBe('401');
  });

  it('gives a failed watch as its status and status text', () => {
    expect(describeError(Object.assign(new Error('Forbidden'), { statusCode: 403 }))).toBe('403: Forbidden');
  });

  it('names the network cause of a failed fetch, with its address', () => {
    const err = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), {
        code: 'ECONNREFUSED',
        address: '127.0.0.1',
        port: 6443,
      }),
    });
    expect(describeError(err)).toBe('fetch failed: connect ECONNREFUSED 127.0.0.1:6443');
    const timeout = new TypeError('fetch failed', {
      cause: Object.assign(new Error('Connect Timeout Error'), { code: 'UND_ERR_CONNECT_TIMEOUT' }),
    });
    expect(describeError(timeout)).toBe('fetch failed: UND_ERR_CONNECT_TIMEOUT: Connect Timeout Error');
  });

  it('keeps anything to one line of at most 300 characters', () => {
    const line = describeError(new Error(`first\nsecond ${'x'.repeat(400)}`));
    expect(line).not.toContain('\n');
    expect(line.length).toBeLessThanOrEqual(300);
  });
});

describe('serializeError', () => {
  it('logs an API failure as its type, one-line cause and status, without a stack', () => {
    expect(serializeError(tooManyRequests())).toEqual({
      type: 'ApiException',
      message: '429 TooManyRequests: storage is (re)initializing',
      status: 429,
    });
  });

  it('keeps the stack of our own bugs', () => {
    const serialized = serializeError(new RangeError('bad index')) as { stack?: string; type: string };
    expect(serialized.type).toBe('RangeError');
    expect(serialized.stack).toContain('RangeError: bad index');
  });
});
