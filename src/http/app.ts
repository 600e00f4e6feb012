/**
 * The SCIM endpoint as an express application, without `listen()`: the composition root decides where it runs.
 * Order matters: request id and timing first, then the deadline, then authentication before any body is read
 * (an unauthenticated client gets 401, not 413), then body parsing, routes, the SCIM 404 and the error handler.
 */

import express, { type Express, type RequestHandler } from 'express';
import { notFound, unsupportedMediaType } from '../scim/errors.ts';
import type { ScimService } from '../scim/operations.ts';
import { accessLog, type HttpLogger, type HttpMetrics } from './access-log.ts';
import { type Authenticate, bearerAuth } from './bearer-auth.ts';
import { scimErrorHandler } from './error-handler.ts';
import { requestTimeout } from './request-timeout.ts';
import { scimRoutes } from './routes.ts';

export interface HttpLimits {
  maxBodyBytes: number;
  /** Deadline of one request; default 30 s. Okta gives up after 60 s. */
  requestTimeoutMs?: number;
}

export interface ScimAppOptions {
  service: ScimService;
  authenticate: Authenticate;
  limits: HttpLimits;
  logger?: HttpLogger;
  metrics?: HttpMetrics;
  /** Where the SCIM root is mounted; default `/scim/v2`. */
  basePath?: string;
}

const JSON_TYPES = /^application\/(?:scim\+)?json\s*(?:;|$)/i;
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

export function createScimApp(options: ScimAppOptions): Express {
  const basePath = options.basePath ?? '/scim/v2';
  const logger = options.logger?.child?.({ component: 'scim-http' }) ?? options.logger;
  const app = express();
  app.disable('x-powered-by');
  // meta.version is the ETag; express's generated body hashes would contradict it.
  app.set('etag', false);

  app.use(accessLog(basePath, logger, options.metrics));
  app.use(requestTimeout(options.limits.requestTimeoutMs ?? 30_000));
  app.use(
    basePath,
    bearerAuth(options.authenticate),
    requireJsonBody,
    express.json({
      limit: options.limits.maxBodyBytes,
      type: (req) => !req.headers['content-type'] || JSON_TYPES.test(req.headers['content-type']),
    }),
    scimRoutes(options.service),
  );
  app.use((req) => {
    throw notFound(`There is no SCIM endpoint at ${req.path}`);
  });
  app.use(scimErrorHandler(logger));
  return app;
}

/** Bodies are JSON: `application/scim+json` or `application/json`, any charset parameter; no content type means JSON. */
const requireJsonBody: RequestHandler = (req, _res, next) => {
  const contentType = req.headers['content-type'];
  if (BODY_METHODS.has(req.method) && contentType && !JSON_TYPES.test(contentType)) {
    throw unsupportedMediaType(`Content-Type ${contentType} is not supported; send application/scim+json`);
  }
  next();
};
