import { ApiException } from '@kubernetes/client-node';
import { invalidValue, ScimError, unavailable } from '../scim/errors.ts';

/** The Kubernetes `Status` body of a failed request, parsed from whatever form client-node handed us. */
export interface KubeStatus {
  code: number;
  reason?: string;
  message?: string;
}

export function kubeStatus(err: unknown): KubeStatus | undefined {
  if (err instanceof ApiException) {
    let body: unknown = err.body;
    if (typeof body === 'string') {
      try {
        body = JSON.parse(body);
      } catch {
        body = { message: body };
      }
    }
    const status = (body ?? {}) as { reason?: string; message?: string };
    return { code: err.code, reason: status.reason, message: status.message };
  }
  return undefined;
}

/** The one 404 test, shared with the runtime and the controllers. */
export { isNotFound } from '../runtime/kube-errors.ts';
export const isAlreadyExists = (err: unknown) => kubeStatus(err)?.reason === 'AlreadyExists';
/** A resourceVersion precondition failed (optimistic concurrency), as opposed to AlreadyExists. */
export const isConflict = (err: unknown) => {
  const s = kubeStatus(err);
  return s?.code === 409 && s.reason !== 'AlreadyExists';
};
/** The API server refused the object itself (schema, CEL rule, size of a field): retrying the same write won't help. */
export const isRefused = (err: unknown) => {
  const code = kubeStatus(err)?.code;
  return code === 400 || code === 422;
};

/**
 * Whether a create was answered with a refusal (a 4xx status), so that it certainly did not happen. A network error,
 * a timeout or a 5xx leaves the outcome unknown: the object may have been stored before the answer was lost.
 */
export const certainlyNotWritten = (err: unknown) => {
  const code = kubeStatus(err)?.code;
  return code !== undefined && code >= 400 && code < 500;
};

/** Socket and DNS failures, as Node and undici report them: the API server could not be reached or went away. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

/**
 * Whether `err` says the API server was unreachable or slow, rather than that our code is wrong. client-node 2.x
 * requests go through undici's fetch, which rejects with `TypeError('fetch failed')` whose `cause` carries the
 * socket error: so the cause chain decides, never the error's class.
 */
export function isUnreachable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || code.startsWith('UND_ERR_'))) return true;
    if (e.name === 'AbortError' || e.name === 'TimeoutError') return true;
  }
  return false;
}

/**
 * Maps a failed API call to the SCIM error the client should see (rule 6 of src/scim/store.ts):
 * - a ScimError passes through;
 * - 400/422 (the API server refused the object) is a generic 400 `invalidValue`: its text names CRD fields and
 *   internals, so the caller logs it and the client learns only what it can act on;
 * - 413 is 413;
 * - real unavailability — unreachable, timed out, 429, 5xx, or a conflict still lost at the deadline — is 503 with
 *   Retry-After;
 * - 401/403 is 503 with Retry-After too: a kube-apiserver that has just restarted denies requests until its RBAC
 *   authorizer has caught up (seen by the chaos suite), and a replica whose own RBAC is really wrong is also
 *   unready, since its informers cannot list; either way the IdP should come back later, and the log says which;
 * - anything else is a 500 without Retry-After: another Kubernetes status (404 is decided by the caller), or a
 *   non-Kubernetes exception, which is a bug that retrying will not fix.
 */
export function apiFailureToScimError(err: unknown): ScimError {
  if (err instanceof ScimError) return err;
  const status = kubeStatus(err);
  if (!status) {
    if (isUnreachable(err)) return unavailable('The Kubernetes API server could not be reached; retry later');
    return new ScimError(500, 'The operator failed unexpectedly; see the operator log');
  }
  if (status.code === 422 || status.code === 400) {
    return invalidValue(
      'A value was refused by the stored resource schema (for example too long, or out of its allowed range); ' +
        'the operator log has the details',
    );
  }
  if (status.code === 413) return new ScimError(413, 'The resource is too large to store');
  if (status.code === 429 || status.code >= 500 || status.code === 409) {
    return unavailable('The Kubernetes API server is busy or unavailable; retry later');
  }
  if (status.code === 401 || status.code === 403) {
    return unavailable(
      'The Kubernetes API server refused the operator for now; retry later (the operator log says why)',
    );
  }
  return new ScimError(500, 'The operator could not store the resource; see the operator log');
}

/** Whether a mapped failure should be logged with its original error: refusals and everything 5xx. */
export function worthLogging(err: unknown, mapped: ScimError): boolean {
  return mapped.status >= 500 || (!(err instanceof ScimError) && isRefused(err));
}
