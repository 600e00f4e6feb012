import { CircuitBreaker } from './circuit-breaker.ts';
import type { Credentials } from './credentials.ts';
import { DownstreamError, errorForStatus } from './errors.ts';
import type { HttpTransport } from './http-transport.ts';
import type { RequestLimiter } from './request-limiter.ts';
import { parseRetryAfter } from './retry-after.ts';

export interface RemoteResource {
  id: string;
  [attribute: string]: unknown;
}

export interface PatchOperation {
  op: 'add' | 'replace' | 'remove';
  path: string;
  value?: unknown;
}

/** What the last request said about the app, for its Reachable and Authenticated conditions. */
export interface AppHealth {
  reachable: boolean;
  authenticated: boolean | undefined;
  message: string;
  at: number;
}

export interface ScimClientOptions {
  baseUrl: string;
  timeoutMs: number;
  transport: HttpTransport;
  credentials: Credentials;
  limiter: RequestLimiter;
  breaker?: CircuitBreaker;
  /** One call per HTTP exchange: method, status code (or the error code) and seconds. */
  observe?: (method: string, code: string, seconds: number) => void;
  onHealth?: (health: AppHealth) => void;
}

const SCIM_JSON = 'application/scim+json';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/**
 * A SCIM 2.0 client for one downstream app. Every request passes the app's circuit breaker, then its rate and
 * concurrency limits; failures become `DownstreamError`s. It never retries by itself: the reconcile decides (with
 * backoff), so one failure policy covers every request.
 */
export class ScimClient {
  readonly breaker: CircuitBreaker;
  private readonly options: ScimClientOptions;
  private readonly base: string;

  constructor(options: ScimClientOptions) {
    this.options = options;
    this.breaker = options.breaker ?? new CircuitBreaker();
    this.base = options.baseUrl.replace(/\/+$/, '');
  }

  async findUsers(attribute: string, value: string, signal?: AbortSignal): Promise<RemoteResource[]> {
    return this.find('Users', attribute, value, signal);
  }

  async findGroups(displayName: string, signal?: AbortSignal): Promise<RemoteResource[]> {
    return this.find('Groups', 'displayName', displayName, signal);
  }

  /** The resource, or undefined when the app answers 404. */
  async get(type: 'Users' | 'Groups', id: string, signal?: AbortSignal): Promise<RemoteResource | undefined> {
    try {
      return asResource(await this.request('GET', `/${type}/${encodeURIComponent(id)}`, undefined, signal));
    } catch (err) {
      if (err instanceof DownstreamError && err.code === 'NotFound') return undefined;
      throw err;
    }
  }

  async create(type: 'Users' | 'Groups', body: object, signal?: AbortSignal): Promise<RemoteResource> {
    return asResource(await this.request('POST', `/${type}`, body, signal));
  }

  async patch(type: 'Users' | 'Groups', id: string, operations: PatchOperation[], signal?: AbortSignal) {
    await this.request(
      'PATCH',
      `/${type}/${encodeURIComponent(id)}`,
      { schemas: [PATCH_OP], Operations: operations },
      signal,
    );
  }

  /** Deletes; an account already gone counts as deleted. */
  async delete(type: 'Users' | 'Groups', id: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.request('DELETE', `/${type}/${encodeURIComponent(id)}`, undefined, signal);
    } catch (err) {
      if (!(err instanceof DownstreamError && err.code === 'NotFound')) throw err;
    }
  }

  /**
   * One small authenticated listing, for the app's conditions. Not /ServiceProviderConfig: RFC 7644 lets a service
   * answer it without authentication (scim2-server does), so it cannot tell whether the credentials work.
   */
  async probe(signal?: AbortSignal): Promise<void> {
    await this.request('GET', '/Users?count=1&attributes=id', undefined, signal);
  }

  private async find(type: string, attribute: string, value: string, signal?: AbortSignal) {
    const filter = `${attribute} eq "${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
    const body = (await this.request(
      'GET',
      `/${type}?filter=${encodeURIComponent(filter)}&count=10`,
      undefined,
      signal,
    )) as { Resources?: unknown[] } | undefined;
    if (!body || (body.Resources !== undefined && !Array.isArray(body.Resources)))
      throw new DownstreamError('InvalidResponse', `GET /${type}: not a ListResponse`);
    return (body.Resources ?? []).map(asResource);
  }

  private async request(method: string, path: string, body: unknown, signal?: AbortSignal): Promise<unknown> {
    return this.options.limiter.run(async () => {
      // Checked once a slot is free, so requests queued behind a 429 or an outage wait too.
      const waitMs = this.breaker.acquire();
      if (waitMs > 0) {
        this.options.observe?.(method, 'CircuitOpen', 0);
        throw new DownstreamError('CircuitOpen', `the app is paused for ${waitMs} ms after failures`, {
          retryAfterMs: waitMs,
        });
      }
      const started = performance.now();
      const what = `${method} ${path.split('?')[0]}`;
      try {
        const authorization = await this.options.credentials.header(this.options.transport, this.options.timeoutMs);
        const res = await this.options.transport.send({
          method,
          url: new URL(this.base + path),
          headers: {
            authorization,
            accept: SCIM_JSON,
            ...(body === undefined ? {} : { 'content-type': SCIM_JSON }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          timeoutMs: this.options.timeoutMs,
          signal,
        });
        this.options.observe?.(method, String(res.status), (performance.now() - started) / 1000);
        if (res.status >= 200 && res.status < 300) {
          this.breaker.success();
          this.health(true, true, `${what} answered ${res.status}`);
          return parseBody(res.body, what);
        }
        const retryAfterMs = parseRetryAfter(header(res.headers['retry-after']), Date.now());
        const error = errorForStatus(res.status, what, retryAfterMs, scimError(res.body));
        if (res.status === 401) this.options.credentials.invalidate();
        this.health(true, res.status !== 401 && res.status !== 403, error.message);
        throw error;
      } catch (err) {
        const error =
          err instanceof DownstreamError ? err : new DownstreamError('Unreachable', `${what}: ${String(err)}`);
        if (!(err instanceof DownstreamError && err.status !== undefined)) {
          this.options.observe?.(method, error.code, (performance.now() - started) / 1000);
          if (error.code !== 'MissingCredentials' && error.code !== 'CredentialNotAllowed')
            this.health(false, undefined, error.message);
          else this.health(true, false, error.message);
        }
        if (error.code === 'RateLimited' || (error.code === 'Unavailable' && error.retryAfterMs !== undefined)) {
          this.breaker.hold(error.retryAfterMs ?? 1000);
        } else if (error.unhealthy) this.breaker.failure();
        else this.breaker.release();
        throw error;
      }
    });
  }

  private health(reachable: boolean, authenticated: boolean | undefined, message: string): void {
    this.options.onHealth?.({ reachable, authenticated, message, at: Date.now() });
  }
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function parseBody(text: string, what: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new DownstreamError('InvalidResponse', `${what}: the body is not JSON`);
  }
}

function scimError(text: string): { scimType?: string; detail?: string } | undefined {
  try {
    const body = JSON.parse(text) as { scimType?: unknown; detail?: unknown };
    return {
      scimType: typeof body.scimType === 'string' ? body.scimType : undefined,
      detail: typeof body.detail === 'string' ? body.detail : undefined,
    };
  } catch {
    return undefined;
  }
}

function asResource(value: unknown): RemoteResource {
  if (!value || typeof value !== 'object' || typeof (value as { id?: unknown }).id !== 'string')
    throw new DownstreamError('InvalidResponse', 'a resource without an id');
  return value as RemoteResource;
}
