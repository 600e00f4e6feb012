import type { DownstreamAppSpec, SecretKeyRef } from '../api/downstream-app.ts';
import { DownstreamError } from './errors.ts';
import type { HttpTransport } from './http-transport.ts';

/** Reads one key of a Secret in the operator's namespace, as it is now (from the Secret informer). */
export type SecretReader = (ref: SecretKeyRef) => string | undefined;

/**
 * The Authorization header for an app, computed at each request from the Secrets as they are now, so that a rotated
 * Secret is used from the next request on. OAuth2 access tokens are cached until shortly before they expire, keyed
 * by the client credentials (a rotated client secret fetches a new token), and dropped after a 401.
 */
export class Credentials {
  private readonly auth: DownstreamAppSpec['auth'];
  private readonly read: SecretReader;
  private oauthToken: { key: string; value: string; expiresAt: number } | undefined;

  constructor(auth: DownstreamAppSpec['auth'], read: SecretReader) {
    this.auth = auth;
    this.read = read;
  }

  async header(transport: HttpTransport, timeoutMs: number): Promise<string> {
    const { bearer, basic, oauth2 } = this.auth;
    if (bearer) return `Bearer ${this.need(bearer.token)}`;
    if (basic) {
      const pair = `${this.need(basic.username)}:${this.need(basic.password)}`;
      return `Basic ${Buffer.from(pair).toString('base64')}`;
    }
    if (oauth2) return `Bearer ${await this.oauth(oauth2, transport, timeoutMs)}`;
    throw new DownstreamError('MissingCredentials', 'no authentication configured');
  }

  /** After a 401: a cached OAuth2 token may have been revoked. */
  invalidate(): void {
    this.oauthToken = undefined;
  }

  private need(ref: SecretKeyRef): string {
    const value = this.read(ref)?.trim();
    if (!value) throw new DownstreamError('MissingCredentials', `Secret ${ref.name} has no key ${ref.key}`);
    return value;
  }

  private async oauth(
    oauth2: NonNullable<DownstreamAppSpec['auth']['oauth2']>,
    transport: HttpTransport,
    timeoutMs: number,
  ): Promise<string> {
    const clientId = this.need(oauth2.clientId);
    const clientSecret = this.need(oauth2.clientSecret);
    const key = `${clientId}\u0000${clientSecret}`;
    const cached = this.oauthToken;
    if (cached && cached.key === key && cached.expiresAt > Date.now()) return cached.value;
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (oauth2.scopes?.length) form.set('scope', oauth2.scopes.join(' '));
    const res = await transport.send({
      method: 'POST',
      url: new URL(oauth2.tokenUrl),
      headers: {
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: form.toString(),
      timeoutMs,
    });
    if (res.status === 400 || res.status === 401 || res.status === 403)
      throw new DownstreamError('Unauthorized', `token endpoint answered ${res.status}`, { status: res.status });
    if (res.status !== 200)
      throw new DownstreamError('Unavailable', `token endpoint answered ${res.status}`, { status: res.status });
    let body: { access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(res.body);
    } catch {
      throw new DownstreamError('InvalidResponse', 'token endpoint answered no JSON');
    }
    if (typeof body.access_token !== 'string') throw new DownstreamError('InvalidResponse', 'no access_token');
    const lifetimeS = typeof body.expires_in === 'number' ? body.expires_in : 300;
    this.oauthToken = { key, value: body.access_token, expiresAt: Date.now() + Math.max(0, lifetimeS - 30) * 1000 };
    return body.access_token;
  }
}
