/**
 * A per-request deadline: when the handler has not answered in time the client gets 503 with Retry-After. The
 * handler is not interrupted (a store write in flight completes or fails on its own, whole or not at all, rule 6);
 * its late answer is dropped.
 */

import type { RequestHandler } from 'express';
import { unavailable } from '../scim/errors.ts';
import { sendScimError } from './error-handler.ts';

export function requestTimeout(milliseconds: number): RequestHandler {
  return (_req, res, next) => {
    const timer = setTimeout(() => {
      sendScimError(res, unavailable(`The request did not complete within ${milliseconds} ms`, 5));
    }, milliseconds);
    const clear = () => clearTimeout(timer);
    res.on('finish', clear);
    res.on('close', clear);
    next();
  };
}
