/**
 * The one way a response body leaves the SCIM endpoint: `application/scim+json; charset=utf-8`, whatever the status.
 * A response that was already sent (by the request timeout) is never written again: the late handler's answer is
 * dropped.
 */

import type { Response } from 'express';

export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';

export function sendScim(res: Response, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.status(status).set(headers).set('Content-Type', SCIM_CONTENT_TYPE);
  if (body === undefined) res.end();
  else res.send(JSON.stringify(body));
}
