/**
 * Per-request bookkeeping: a request id (the client's `X-Request-Id` when it is sane, otherwise a new one, echoed
 * back), one access-log line, and the metrics hooks. The log line carries the path without its query string, which
 * may hold user names in filters, and never the Authorization header.
 */

import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';

/** The subset of a pino logger used here. */
export interface HttpLogger {
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  error(object: object, message?: string): void;
  child?(bindings: object): HttpLogger;
}

/** Hooks the composition root wires to prom-client. */
export interface HttpMetrics {
  observeRequest(resource: string, method: string, code: number, seconds: number): void;
  inFlight(delta: 1 | -1): void;
}

const SAFE_REQUEST_ID = /^[\w.:-]{1,128}$/;
const RESOURCES = ['Users', 'Groups', 'Schemas', 'ResourceTypes', 'ServiceProviderConfig', 'Me', 'Bulk'];

export function accessLog(basePath: string, logger?: HttpLogger, metrics?: HttpMetrics): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const offered = req.get('x-request-id');
    const requestId = offered && SAFE_REQUEST_ID.test(offered) ? offered : randomUUID();
    res.locals.requestId = requestId;
    res.set('X-Request-Id', requestId);
    metrics?.inFlight(1);

    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const path = req.originalUrl.split('?')[0] ?? '';
      metrics?.inFlight(-1);
      metrics?.observeRequest(resourceOf(basePath, path), req.method, res.statusCode, seconds);
      logger?.info(
        {
          requestId,
          method: req.method,
          path,
          status: res.statusCode,
          durationMs: Math.round(seconds * 1000),
          connection: res.locals.connection,
        },
        'scim request',
      );
    };
    res.on('finish', finish);
    res.on('close', finish);
    next();
  };
}

/** A bounded label for metrics: the SCIM endpoint, or `other`. */
export function resourceOf(basePath: string, path: string): string {
  const lowerBase = basePath.toLowerCase();
  if (!path.toLowerCase().startsWith(lowerBase)) return 'other';
  const segment = path.slice(basePath.length).split('/').find(Boolean)?.toLowerCase();
  return RESOURCES.find((resource) => resource.toLowerCase() === segment) ?? 'other';
}
