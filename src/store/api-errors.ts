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

export const isNotFound = (err: unknown) => kubeStatus(err)?.code === 404;
export const isAlreadyExists = (err: unknown) => kubeStatus(err)?.reason === 'AlreadyExists';
/** A resourceVersion precondition failed (optimistic concurrency), as opposed to AlreadyExists. */
export const isConflict = (err: unknown) => {
  const s = kubeStatus(err);
  return s?.code === 409 && s.reason !== 'AlreadyExists';
};

/**
 * Maps a failed API call to the SCIM error the client should see. Only what the client can fix becomes a 4xx;
 * anything that may succeed on retry (the API server unreachable, overloaded or timing out) becomes 503 with
 * Retry-After; the rest is a ScimError 500 that names no internals. Never 404: absence is decided by the caller.
 */
export function toScimError(err: unknown): ScimError {
  if (err instanceof ScimError) return err;
  const status = kubeStatus(err);
  if (!status) return unavailable('The Kubernetes API server could not be reached; retry later');
  if (status.code === 422 || status.code === 400) {
    return invalidValue(`The resource was refused by its schema: ${status.message ?? status.reason ?? 'invalid'}`);
  }
  if (status.code === 413) return new ScimError(413, 'The resource is too large to store');
  if (status.code === 429 || status.code >= 500 || status.code === 409) {
    return unavailable('The Kubernetes API server is busy or unavailable; retry later');
  }
  return new ScimError(500, 'The operator could not store the resource; see the operator log');
}
