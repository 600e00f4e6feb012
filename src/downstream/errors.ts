/**
 * Every way a request to a downstream SCIM service can fail, as a closed set. `retryable` says whether the same
 * request may succeed later; `retryAfterMs` is the service's own Retry-After, when it sent one. Messages never hold
 * credentials: they are built from the method, path and status only.
 */
export type DownstreamErrorCode =
  | 'Unreachable'
  | 'Timeout'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'Conflict'
  | 'BadRequest'
  | 'RateLimited'
  | 'Unavailable'
  | 'ServerError'
  | 'InvalidResponse'
  | 'CircuitOpen'
  | 'MissingCredentials'
  /** The URL is not https, or resolves to a loopback, link-local or API server address (destination-fence.ts). */
  | 'DestinationRefused'
  /** The Secret key is not granted to this app by the Secret's scim-operator.dev/allowed-apps annotation. */
  | 'CredentialNotAllowed';

const retryableCodes: ReadonlySet<DownstreamErrorCode> = new Set([
  'Unreachable',
  'Timeout',
  'RateLimited',
  'Unavailable',
  'ServerError',
  'CircuitOpen',
  'Unauthorized',
  'MissingCredentials',
]);

/** Failures that say the service is unwell (as opposed to refusing one request); they trip the circuit breaker. */
const unhealthyCodes: ReadonlySet<DownstreamErrorCode> = new Set([
  'Unreachable',
  'Timeout',
  'Unavailable',
  'ServerError',
]);

export class DownstreamError extends Error {
  override name = 'DownstreamError';
  readonly code: DownstreamErrorCode;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  readonly scimType: string | undefined;

  constructor(
    code: DownstreamErrorCode,
    message: string,
    options: { status?: number; retryAfterMs?: number; scimType?: string; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.code = code;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
    this.scimType = options.scimType;
  }

  get retryable(): boolean {
    return retryableCodes.has(this.code);
  }

  get unhealthy(): boolean {
    return unhealthyCodes.has(this.code);
  }

  /** Short and secret-free, for status.lastError and Events. */
  summary(): string {
    return `${this.code}: ${this.message}`.slice(0, 1000);
  }
}

export function errorForStatus(
  status: number,
  what: string,
  retryAfterMs: number | undefined,
  detail?: { scimType?: string; detail?: string },
): DownstreamError {
  const message = `${what} answered ${status}${detail?.detail ? `: ${detail.detail.slice(0, 300)}` : ''}`;
  const options = { status, retryAfterMs, scimType: detail?.scimType };
  if (status === 401) return new DownstreamError('Unauthorized', message, options);
  if (status === 403) return new DownstreamError('Forbidden', message, options);
  if (status === 404) return new DownstreamError('NotFound', message, options);
  if (status === 409) return new DownstreamError('Conflict', message, options);
  if (status === 429) return new DownstreamError('RateLimited', message, options);
  if (status === 503) return new DownstreamError('Unavailable', message, options);
  if (status >= 500) return new DownstreamError('ServerError', message, options);
  return new DownstreamError('BadRequest', message, options);
}

export function isDownstreamError(err: unknown, code?: DownstreamErrorCode): err is DownstreamError {
  return err instanceof DownstreamError && (code === undefined || err.code === code);
}
