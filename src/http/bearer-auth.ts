/**
 * Bearer-token authentication (RFC 6750). Each token names one connection, the IdP integration it was issued to;
 * the connection scopes every store call of the request. Tokens are compared in constant time and never logged.
 */

import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { unauthorized } from '../scim/errors.ts';

/**
 * Returns the connection a token belongs to, or undefined when the token is not valid. May throw a ScimError (503
 * with Retry-After) when it cannot tell yet, e.g. before the tokens have been read: a client must never be told its
 * token is wrong while the server does not know the right ones.
 */
export type Authenticate = (token: string) => string | undefined;

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * Answers 401 (rendered by the error handler with `WWW-Authenticate: Bearer`) unless the request has a valid token,
 * or whatever `authenticate` throws. A request without a token is asked as the empty token, which is never valid,
 * so that an authenticator that cannot tell yet answers it 503 like the others.
 */
export function bearerAuth(authenticate: Authenticate): RequestHandler {
  return (req, res, next) => {
    const token = BEARER.exec(req.get('authorization') ?? '')?.[1];
    const connection = authenticate(token ?? '');
    if (connection === undefined) throw unauthorized();
    res.locals.connection = connection;
    next();
  };
}

/**
 * An `Authenticate` over a fixed set of tokens. Every token is compared, and through fixed-length digests, so the
 * time taken reveals neither which token nearly matched nor its length.
 */
export function tokenAuthenticator(tokens: Iterable<{ token: string; connection: string }>): Authenticate {
  const known = [...tokens].map(({ token, connection }) => ({ digest: digest(token), connection }));
  return (token) => {
    const presented = digest(token);
    let found: string | undefined;
    for (const candidate of known) {
      if (timingSafeEqual(candidate.digest, presented) && found === undefined) found = candidate.connection;
    }
    return found;
  };
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
