import { ApiException } from '@kubernetes/client-node';

/** The HTTP status of a failed client-node request, or undefined for anything that is not an API answer. */
export function apiStatusCode(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code;
  // Some client-node paths (and test fakes) throw plain objects or errors carrying `code`.
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** The API server answered 404: the object (or its namespace) does not exist. */
export const isNotFound = (err: unknown): boolean => apiStatusCode(err) === 404;
