/**
 * A SCIM client that sends a request again as an IdP does:
 * - at once, when the connection failed before any answer (a keep-alive connection the server closed as it was
 *   reused; frequent on a loaded machine), up to 3 attempts;
 * - after a backoff of 1, 2, 4, 8, 16 s, when the endpoint answered 429 or 503 (Entra and Okta retry both later),
 *   up to 6 attempts. The wait counts in the phase's time.
 * A resent POST whose first attempt did reach the server answers 409; `resolveConflict` then finds what it created.
 * Retries are counted and reported, never hidden.
 */

import type { ScimCall, ScimReply } from '../support/endpoint.ts';
import { log } from '../support/measure.ts';

const ATTEMPTS = 3;
const BUSY_ATTEMPTS = 6;
const BUSY = new Set([429, 503]);

export function retryingCall(call: ScimCall) {
  const stats = { retries: 0, busyRetries: 0 };
  const retrying: ScimCall = async (method, pathName, body) => {
    let busy = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        const reply = await call(method, pathName, body);
        if (attempt > 1 && method === 'POST' && reply.status === 409)
          return await resolveConflict(call, pathName, body);
        if (!BUSY.has(reply.status) || ++busy >= BUSY_ATTEMPTS) return reply;
        stats.busyRetries++;
        const waitMs = 1000 * 2 ** (busy - 1);
        log(
          `${method} ${pathName}: ${reply.status} ${reply.body?.detail ?? ''}; sending it again in ${waitMs / 1000} s`,
        );
        await new Promise((resolve) => setTimeout(resolve, waitMs));
      } catch (err) {
        if (attempt - busy >= ATTEMPTS || !(err instanceof TypeError)) throw err;
        stats.retries++;
        log(`${method} ${pathName}: ${(err.cause as Error | undefined)?.message ?? err.message}; sending it again`);
      }
    }
  };
  return { call: retrying, stats };
}

/** The object a lost POST created, found by its unique attribute, answered as the 201 would have been. */
async function resolveConflict(call: ScimCall, pathName: string, body: unknown): Promise<ScimReply> {
  const attributes = body as { userName?: string; displayName?: string };
  const filter =
    pathName === '/Users' ? `userName eq "${attributes.userName}"` : `displayName eq "${attributes.displayName}"`;
  const found = await call('GET', `${pathName}?filter=${encodeURIComponent(filter)}`);
  const resource = found.body?.Resources?.[0];
  if (found.status !== 200 || !resource) throw new Error(`POST ${pathName} was resent, answered 409, and is not found`);
  return { status: 201, body: resource };
}
