/**
 * One line saying why a call failed, for logs, /readyz and metrics. client-node's `ApiException` message holds the
 * whole response body and headers; undici's `TypeError: fetch failed` hides the reason in `cause`. Both become
 * `<status> <reason>: <message>` or `<code> <address>`, never more than one line.
 */

const MAX_LENGTH = 300;

interface StatusBody {
  reason?: unknown;
  message?: unknown;
}

/** The HTTP status of a failed Kubernetes call (`ApiException.code`, or `statusCode` of a failed watch). */
export function httpStatusOf(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown } | null;
  if (typeof e?.statusCode === 'number') return e.statusCode;
  if (typeof e?.code === 'number' && e.code >= 100 && e.code < 600) return e.code;
  return undefined;
}

function statusBody(body: unknown): StatusBody {
  if (typeof body === 'string') {
    try {
      return statusBody(JSON.parse(body));
    } catch {
      return { message: body };
    }
  }
  return body !== null && typeof body === 'object' ? (body as StatusBody) : {};
}

/** The innermost `cause` that says something about the network: `connect ECONNREFUSED 127.0.0.1:6443`. */
function networkCause(err: Error): string | undefined {
  let cause: unknown = err.cause;
  for (let depth = 0; cause instanceof Error && depth < 5; depth++) {
    const { code, address, port } = cause as { code?: string; address?: string; port?: number };
    if (code) {
      const where = address ? ` ${address}${port ? `:${port}` : ''}` : '';
      return cause.message.includes(code) ? cause.message : `${code}${where}: ${cause.message}`;
    }
    if (!(cause.cause instanceof Error)) return cause.message;
    cause = cause.cause;
  }
  return undefined;
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > MAX_LENGTH ? `${line.slice(0, MAX_LENGTH - 1)}…` : line;
}

export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return oneLine(String(err));
  const status = httpStatusOf(err);
  if (status !== undefined) {
    const body = statusBody((err as { body?: unknown }).body);
    const reason = typeof body.reason === 'string' && body.reason ? ` ${body.reason}` : '';
    // A failed watch carries only the status text as its message; an ApiException's message is the whole response.
    const message =
      typeof body.message === 'string' && body.message
        ? body.message
        : (err as { body?: unknown }).body === undefined && !err.message.startsWith('HTTP-Code:')
          ? err.message
          : '';
    return oneLine(`${status}${reason}${message ? `: ${message}` : ''}`);
  }
  const network = networkCause(err);
  if (network) return oneLine(`${err.message}: ${network}`);
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return oneLine(`${err.name}: ${err.message}`);
  return oneLine(err.message || err.name);
}

/** A pino `err` serializer: the type, the one-line cause, and the HTTP status when there is one; no bodies or headers. */
export function serializeError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const status = httpStatusOf(err);
  return {
    type: err.name === 'Error' ? err.constructor.name : err.name,
    message: describeError(err),
    ...(status === undefined ? {} : { status }),
    // Stacks help only with our own bugs; API and network failures are explained by their cause.
    ...(status === undefined && !(err.cause instanceof Error) ? { stack: err.stack } : {}),
  };
}
