import { isDeepStrictEqual } from 'node:util';
import { appSpec, type DownstreamApp, type DownstreamAppSpec, type SecretKeyRef } from '../../api/downstream-app.ts';
import { CircuitBreaker } from '../../downstream/circuit-breaker.ts';
import { Credentials, type SecretReader } from '../../downstream/credentials.ts';
import type { DestinationFence } from '../../downstream/destination-fence.ts';
import { DownstreamError } from '../../downstream/errors.ts';
import { HttpTransport } from '../../downstream/http-transport.ts';
import { RequestLimiter } from '../../downstream/request-limiter.ts';
import { type AppHealth, ScimClient } from '../../downstream/scim-client.ts';

export interface AppClientsOptions {
  readSecret: SecretReader;
  /** Whether a Secret key is granted to an app (credential-grants.ts); a key not granted is never read for it. */
  credentialAllowed: (ref: SecretKeyRef, app: string) => boolean;
  /** Checks every request's destination (destination-fence.ts). */
  fence: DestinationFence;
  observe?: (app: string, method: string, code: string, seconds: number) => void;
  /** Called when an app's reachability or authentication changes, so its status can be recomputed. */
  onHealthChange?: (app: string) => void;
}

interface Entry {
  client: ScimClient;
  transport: HttpTransport;
  limiter: RequestLimiter;
  spec: DownstreamAppSpec;
  health: AppHealth | undefined;
}

/**
 * One ScimClient per DownstreamApp, kept while its connection settings stay the same (so its breaker, limiter and
 * keep-alive connections survive), rebuilt when they change. Limits are applied in place.
 */
export class AppClients {
  private readonly entries = new Map<string, Entry>();
  private readonly options: AppClientsOptions;

  constructor(options: AppClientsOptions) {
    this.options = options;
  }

  client(app: DownstreamApp): ScimClient {
    const name = app.metadata.name;
    const spec = appSpec(app);
    const existing = this.entries.get(name);
    const connectionOf = (s: DownstreamAppSpec) => [s.url, s.auth, s.tls, s.limits.timeoutSeconds];
    const { credentialAllowed, readSecret, fence } = this.options;
    const readGranted: SecretReader = (ref) => {
      if (!credentialAllowed(ref, name))
        throw new DownstreamError(
          'CredentialNotAllowed',
          `Secret ${ref.name} key ${ref.key} is not granted to app ${name}`,
        );
      return readSecret(ref);
    };
    if (existing && isDeepStrictEqual(connectionOf(existing.spec), connectionOf(spec))) {
      if (!isDeepStrictEqual(existing.spec.limits, spec.limits)) existing.limiter.configure(limitsOf(spec));
      existing.spec = spec;
      return existing.client;
    }
    existing?.transport.close();
    const transport = new HttpTransport({ caBundle: spec.tls?.caBundle, fence, insecureHttp: spec.tls?.insecureHttp });
    const limiter = new RequestLimiter(limitsOf(spec));
    const entry: Entry = { transport, limiter, spec, health: existing?.health, client: undefined as never };
    entry.client = new ScimClient({
      baseUrl: spec.url,
      timeoutMs: spec.limits.timeoutSeconds * 1000,
      transport,
      limiter,
      breaker: new CircuitBreaker(),
      credentials: new Credentials(spec.auth, readGranted),
      observe: (method, code, seconds) => this.options.observe?.(name, method, code, seconds),
      onHealth: (health) => {
        const before = entry.health;
        entry.health = health;
        if (before?.reachable !== health.reachable || before?.authenticated !== health.authenticated)
          this.options.onHealthChange?.(name);
      },
    });
    this.entries.set(name, entry);
    return entry.client;
  }

  health(app: string): AppHealth | undefined {
    return this.entries.get(app)?.health;
  }

  forget(app: string): void {
    this.entries.get(app)?.transport.close();
    this.entries.delete(app);
  }

  close(): void {
    for (const name of [...this.entries.keys()]) this.forget(name);
  }
}

function limitsOf(spec: DownstreamAppSpec) {
  return {
    ratePerSecond: spec.limits.requestsPerSecond,
    burst: spec.limits.burst,
    maxConcurrent: spec.limits.maxConcurrent,
  };
}

/** The Secret keys an app reads. */
export function secretRefs(spec: DownstreamAppSpec['auth']): SecretKeyRef[] {
  if (spec.bearer) return [spec.bearer.token];
  if (spec.basic) return [spec.basic.username, spec.basic.password];
  if (spec.oauth2) return [spec.oauth2.clientId, spec.oauth2.clientSecret];
  return [];
}
