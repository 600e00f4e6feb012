/**
 * The one place where an error becomes an HTTP response: a SCIM error body as `application/scim+json`. ScimErrors
 * render as themselves; body-parser failures map to 413, 400 `invalidSyntax` or 415; anything else is an internal
 * error, logged here and answered 500 without details (never 404).
 */

import type { ErrorRequestHandler, Response } from 'express';
import { internal, invalidSyntax, payloadTooLarge, ScimError, unsupportedMediaType } from '../scim/errors.ts';
import type { HttpLogger } from './access-log.ts';
import { sendScim } from './scim-response.ts';

export function scimErrorHandler(logger?: HttpLogger): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    const scimError = toHttpScimError(err);
    if (!(err instanceof ScimError) && scimError.status >= 500) {
      logger?.error({ err, requestId: res.locals.requestId }, 'unexpected error in a SCIM request');
    }
    sendScimError(res, scimError);
  };
}

export function sendScimError(res: Response, error: ScimError): void {
  const headers: Record<string, string> = {};
  if (error.retryAfterSeconds !== undefined) headers['Retry-After'] = String(error.retryAfterSeconds);
  if (error.status === 401) headers['WWW-Authenticate'] = 'Bearer realm="scim"';
  sendScim(res, error.status, error.toBody(), headers);
}

/** Maps what express and body-parser throw onto the closed ScimError set. */
export function toHttpScimError(err: unknown): ScimError {
  if (err instanceof ScimError) return err;
  const type = (err as { type?: unknown } | null)?.type;
  switch (type) {
    case 'entity.too.large':
      return payloadTooLarge('The request body is larger than the server accepts');
    case 'entity.parse.failed':
      return invalidSyntax('The request body is not valid JSON');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return unsupportedMediaType('The request body encoding or charset is not supported');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new ScimError(400, 'The request body could not be read');
    default:
      return internal();
  }
}
