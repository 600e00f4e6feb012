/**
 * The SCIM routes under the base path: Users and Groups, the discovery endpoints (GET only; other methods 405, as
 * scim2-tester checks) and `/Me`, `/Bulk` and the root `/.search` (501: not implemented). Handlers translate HTTP to
 * service calls and back; SCIM rules live in the service.
 */

import { type Request, type Response, Router } from 'express';
import {
  resourceTypeDocumentById,
  resourceTypeList,
  schemaDocumentById,
  schemaList,
  serviceProviderConfig,
} from '../scim/discovery.ts';
import { methodNotAllowed, notFound, notImplemented } from '../scim/errors.ts';
import type { ScimService } from '../scim/operations.ts';
import type { ResourceAnswer } from '../scim/resource-answer.ts';
import { type ResourceTypeName, resourceType } from '../scim/schemas.ts';
import type { StoreContext } from '../scim/store.ts';
import { OPENAPI_PATH, serveOpenApi } from './openapi.ts';
import { listQuery, projectionOptions } from './query-options.ts';
import { sendScim } from './scim-response.ts';

export function scimRoutes(service: ScimService): Router {
  const router = Router({ caseSensitive: false, strict: false });
  for (const type of ['User', 'Group'] as const) resourceRoutes(router, service, type);

  const { baseUrl } = service;
  router
    .route('/ServiceProviderConfig')
    .get((_req, res) => sendScim(res, 200, serviceProviderConfig(baseUrl)))
    .all(notAllowed);
  router
    .route('/ResourceTypes')
    .get((_req, res) => sendScim(res, 200, resourceTypeList(baseUrl)))
    .all(notAllowed);
  router
    .route('/ResourceTypes/:id')
    .get((req, res) => sendScim(res, 200, found(resourceTypeDocumentById(baseUrl, param(req)), 'ResourceType', req)))
    .all(notAllowed);
  router
    .route('/Schemas')
    .get((_req, res) => sendScim(res, 200, schemaList(baseUrl)))
    .all(notAllowed);
  router
    .route('/Schemas/:id')
    .get((req, res) => sendScim(res, 200, found(schemaDocumentById(baseUrl, param(req)), 'Schema', req)))
    .all(notAllowed);
  router.route(OPENAPI_PATH).get(serveOpenApi(baseUrl)).all(notAllowed);
  router.all(['/Me', '/Me/*rest'], () => {
    throw notImplemented('/Me is not supported: a bearer token identifies a connection, not a user');
  });
  router.all(['/Bulk', '/Bulk/*rest'], () => {
    throw notImplemented('Bulk operations are not supported');
  });
  router.all('/.search', () => {
    throw notImplemented('Searching several resource types at once is not supported; query /Users or /Groups');
  });
  return router;
}

function resourceRoutes(router: Router, service: ScimService, type: ResourceTypeName): void {
  const endpoint = resourceType(type).endpoint;
  router
    .route(endpoint)
    .get(async (req, res) => sendScim(res, 200, await service.list(ctx(res), type, listQuery(req))))
    .post(async (req, res) => {
      const created = await service.create(ctx(res), type, req.body, projectionOptions(req));
      sendResource(res, 201, created, { Location: created.location });
    })
    .all(notAllowed);
  router
    .route(`${endpoint}/:id`)
    .get(async (req, res) => {
      sendResource(res, 200, await service.get(ctx(res), type, param(req), projectionOptions(req)));
    })
    .put(async (req, res) => {
      const request = { ...projectionOptions(req), ifMatch: req.get('if-match') };
      sendResource(res, 200, await service.replace(ctx(res), type, param(req), req.body, request));
    })
    .patch(async (req, res) => {
      const request = { ...projectionOptions(req), ifMatch: req.get('if-match') };
      const patched = await service.patch(ctx(res), type, param(req), req.body, request);
      sendResource(res, patched.document ? 200 : 204, patched);
    })
    .delete(async (req, res) => {
      await service.delete(ctx(res), type, param(req), { ifMatch: req.get('if-match') });
      sendScim(res, 204);
    })
    .all(notAllowed);
}

function sendResource(res: Response, status: number, answer: ResourceAnswer, headers: Record<string, string> = {}) {
  sendScim(res, status, answer.document, { ETag: answer.etag, ...headers });
}

function ctx(res: Response): StoreContext {
  return { connection: res.locals.connection as string };
}

function param(req: Request): string {
  return String(req.params.id);
}

function found<T>(document: T | undefined, kind: string, req: Request): T {
  if (!document) throw notFound(`${kind} ${param(req)} not found`);
  return document;
}

function notAllowed(req: Request, res: Response): never {
  // RFC 9110 section 15.5.6: a 405 names the methods the resource does support.
  const methods = Object.keys((req.route as { methods: Record<string, boolean> }).methods).filter((m) => m !== '_all');
  if (methods.includes('get')) methods.push('head');
  res.set('Allow', methods.map((method) => method.toUpperCase()).join(', '));
  throw methodNotAllowed(`${req.method} is not supported on ${req.baseUrl}${req.path}`);
}
