import type { ResponseLog } from './response-log.ts';

export interface ScimReply {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: SCIM replies are arbitrary JSON that the suite reads freely
  body: any;
}

export interface EntraClientOptions {
  index: number;
  /** SCIM base URLs of the replicas, as a load balancer in front of them would spread requests. */
  replicaUrls: string[];
  token: string;
  log: ResponseLog;
  /** Per attempt; longer than the operator's own request deadline, so a slow server answers before we give up. */
  attemptTimeoutMs?: number;
  maxAttempts?: number;
  /** Upper bound of one operation including retries. */
  operationDeadlineMs?: number;
  /** The longest Retry-After honoured, as Entra caps its own back-off within a cycle. */
  maxRetryAfterMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A SCIM client that behaves as Entra's provisioning service does within one cycle: it retries 429/5xx after the
 * Retry-After the server asks for (bounded), retries when a connection fails or times out, and gives up after a
 * bounded number of attempts. Every attempt is logged. `send` resolves with the first reply that is neither
 * retryable nor a 401, or undefined when it gave up (the outcome of the write is then unknown).
 */
export class EntraClient {
  private next: number;
  private readonly options: Required<EntraClientOptions>;

  constructor(options: EntraClientOptions) {
    this.options = {
      attemptTimeoutMs: 15_000,
      maxAttempts: 8,
      operationDeadlineMs: 60_000,
      maxRetryAfterMs: 10_000,
      ...options,
    };
    this.next = options.index;
  }

  async send(
    method: string,
    path: string,
    body?: unknown,
    label = `${method} ${path}`,
  ): Promise<ScimReply | undefined> {
    const { replicaUrls, token, log, index, attemptTimeoutMs, maxAttempts, operationDeadlineMs, maxRetryAfterMs } =
      this.options;
    const deadline = Date.now() + operationDeadlineMs;
    for (let attempt = 1; attempt <= maxAttempts && Date.now() < deadline; attempt++) {
      const replica = this.next++ % replicaUrls.length;
      const startedAt = Date.now();
      const record = (outcome: Parameters<typeof log.record>[0]['outcome']) =>
        log.record({ client: index, label, replica, method, path, startedAt, endedAt: Date.now(), outcome });
      let backoffMs: number;
      try {
        const res = await fetch(`${replicaUrls[replica]}${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(attemptTimeoutMs),
        });
        const text = await res.text();
        const retryAfter = res.headers.get('retry-after') ?? undefined;
        record({ kind: 'status', status: res.status, retryAfter });
        if (res.status < 500 && res.status !== 429 && res.status !== 401) {
          return { status: res.status, body: text ? JSON.parse(text) : undefined };
        }
        const seconds = Number(retryAfter);
        backoffMs =
          res.status !== 401 && retryAfter !== undefined && Number.isFinite(seconds)
            ? Math.min(seconds * 1000, maxRetryAfterMs)
            : 2_000;
      } catch (err) {
        const timedOut = (err as Error).name === 'TimeoutError';
        const code = String((err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name);
        record(timedOut ? { kind: 'timeout' } : { kind: 'connection', code });
        backoffMs = timedOut ? 1_000 : 500;
      }
      await sleep(Math.min(backoffMs, Math.max(0, deadline - Date.now())));
    }
    return undefined;
  }
}
