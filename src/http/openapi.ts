/**
 * The OpenAPI 3.1 description of the SCIM endpoint, served at `<base>/openapi.json` behind the same bearer
 * authentication as every other SCIM route (the discovery endpoints included): it tells nothing a client with a token
 * cannot learn from `/Schemas`, and one less unauthenticated route keeps "401 before anything else" true for the whole
 * base path. Resource schemas derive from the schema registry (`openapi/resource-schemas.ts`); `openapi.test.ts`
 * keeps the paths equal to the router's and checks real answers against the response schemas.
 *
 * Deliberately not described: `/Me`, `/Bulk` and the root `/.search`, which are routed only to answer 501, and the 405
 * every route gives for a method it does not list.
 */

import type { RequestHandler } from 'express';
import { limits, type ResourceTypeName, resourceType } from '../scim/schemas.ts';
import {
  errorSchema,
  listResponseSchema,
  resourceTypeSchema,
  schemaDocumentSchema,
  serviceProviderConfigSchema,
} from './openapi/message-schemas.ts';
import { patchOpSchema } from './openapi/patch-op-schema.ts';
import { type JsonSchema, resourceRequestSchema, resourceResponseSchema } from './openapi/resource-schemas.ts';

export const OPENAPI_PATH = '/openapi.json';

type Operation = JsonSchema;
const SCIM_MEDIA_TYPES = ['application/scim+json', 'application/json'];
const MAX_NAMES = limits.maxProjectionAttributes;
const FILTER_DESCRIPTION =
  `RFC 7644 section 3.4.2.2 filter, with at most ${limits.maxFilterTerms} comparisons ` +
  `nested at most ${limits.maxFilterDepth} deep.`;

/** The document for an endpoint whose SCIM root is `baseUrl` (the `meta.location` prefix). */
export function openApiDocument(baseUrl: string): JsonSchema {
  const paths: Record<string, Record<string, Operation>> = {};
  for (const type of ['User', 'Group'] as const) Object.assign(paths, resourcePaths(type));
  Object.assign(paths, {
    '/ServiceProviderConfig': { get: discovery('getServiceProviderConfig', 'ServiceProviderConfig') },
    '/ResourceTypes': { get: discovery('listResourceTypes', 'ResourceTypeList') },
    '/ResourceTypes/{id}': { get: discovery('getResourceType', 'ResourceType', true) },
    '/Schemas': { get: discovery('listSchemas', 'SchemaList') },
    '/Schemas/{id}': { get: discovery('getSchema', 'Schema', true) },
    [OPENAPI_PATH]: {
      get: {
        operationId: 'getOpenApiDocument',
        summary: 'This document.',
        responses: {
          '200': {
            description: 'The OpenAPI description.',
            content: { 'application/json': { schema: { type: 'object' } } },
          },
          ...errors(401, 503),
        },
      },
    },
  });

  return {
    openapi: '3.1.0',
    info: {
      title: 'scim-operator SCIM 2.0 endpoint',
      version: '2.0',
      description:
        'RFC 7643/7644 Users and Groups stored as Kubernetes custom resources. Every request carries a bearer token ' +
        'that names one connection (IdP integration); resources of other connections are invisible to it.',
    },
    servers: [{ url: baseUrl.replace(/\/+$/, '') }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        User: resourceResponseSchema('User'),
        UserRequest: resourceRequestSchema('User'),
        UserList: listResponseSchema('#/components/schemas/User'),
        Group: resourceResponseSchema('Group'),
        GroupRequest: resourceRequestSchema('Group'),
        GroupList: listResponseSchema('#/components/schemas/Group'),
        UserPatchOp: patchOpSchema('User'),
        GroupPatchOp: patchOpSchema('Group'),
        Error: errorSchema,
        ServiceProviderConfig: serviceProviderConfigSchema,
        ResourceType: resourceTypeSchema,
        ResourceTypeList: listResponseSchema('#/components/schemas/ResourceType'),
        Schema: schemaDocumentSchema,
        SchemaList: listResponseSchema('#/components/schemas/Schema'),
      },
      parameters: {
        id: { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
        filter: query('filter', FILTER_DESCRIPTION, {
          type: 'string',
          maxLength: limits.maxFilterLength,
        }),
        startIndex: query('startIndex', '1-based index of the first result; below 1 means 1.', { type: 'integer' }),
        count: query('count', `Page size; negative means 0, capped at ${limits.maxResults}.`, { type: 'integer' }),
        attributes: query('attributes', `Comma-separated attributes to return, at most ${MAX_NAMES}.`, {
          type: 'string',
        }),
        excludedAttributes: query(
          'excludedAttributes',
          `Comma-separated attributes to leave out, at most ${MAX_NAMES}.`,
          {
            type: 'string',
          },
        ),
        ifMatch: {
          name: 'If-Match',
          in: 'header',
          required: false,
          description: 'The ETag the client last saw, or `*`; 412 when the resource has changed since.',
          schema: { type: 'string' },
        },
      },
      headers: {
        ETag: { description: 'meta.version, a weak ETag.', required: true, schema: { type: 'string' } },
        Location: { description: 'meta.location of the new resource.', required: true, schema: { type: 'string' } },
        RetryAfter: { description: 'Seconds to wait before retrying.', required: true, schema: { type: 'string' } },
        WWWAuthenticate: { description: 'The bearer challenge.', required: true, schema: { type: 'string' } },
      },
    },
  };
}

/** Serves the document as JSON; built once per router, since it depends only on the base URL. */
export function serveOpenApi(baseUrl: string): RequestHandler {
  const body = JSON.stringify(openApiDocument(baseUrl));
  return (_req, res) => {
    res.status(200).set('Content-Type', 'application/json; charset=utf-8').send(body);
  };
}

function resourcePaths(type: ResourceTypeName): Record<string, Record<string, Operation>> {
  const endpoint = resourceType(type).endpoint;
  const plural = endpoint.slice(1);
  const document = ref(type);
  const projection = [param('attributes'), param('excludedAttributes')];
  const writeParams = [param('id'), param('ifMatch'), ...projection];
  const byId = { [`Get${type}ById`]: { operationId: `get${type}`, parameters: { id: '$response.body#/id' } } };
  return {
    [endpoint]: {
      get: {
        operationId: `list${plural}`,
        summary: `List or filter ${plural}.`,
        parameters: [param('filter'), param('startIndex'), param('count'), ...projection],
        responses: { '200': scim(`A page of ${plural}.`, ref(`${type}List`)), ...errors(400, 401, 503) },
      },
      post: {
        operationId: `create${type}`,
        summary: `Create a ${type}.`,
        parameters: projection,
        requestBody: body(ref(`${type}Request`)),
        responses: {
          '201': { ...scim(`The new ${type}.`, document, ['ETag', 'Location']), links: byId },
          ...errors(400, 401, 409, 413, 415, 503),
        },
      },
    },
    [`${endpoint}/{id}`]: {
      get: {
        operationId: `get${type}`,
        parameters: [param('id'), ...projection],
        responses: { '200': scim(`The ${type}.`, document, ['ETag']), ...errors(400, 401, 404, 503) },
      },
      put: {
        operationId: `replace${type}`,
        summary: `Replace a ${type}'s attributes${type === 'Group' ? '; members only when the body has them' : ''}.`,
        parameters: writeParams,
        requestBody: body(ref(`${type}Request`)),
        responses: {
          '200': scim(`The ${type} as replaced.`, document, ['ETag']),
          ...errors(400, 401, 404, 409, 412, 413, 415, 503),
        },
      },
      patch: {
        operationId: `patch${type}`,
        parameters: writeParams,
        requestBody: body(ref(`${type}PatchOp`)),
        responses: {
          ...(type === 'Group'
            ? {
                '200': scim('The Group, when `attributes` was given.', document, ['ETag']),
                '204': { description: 'Patched (the default for Groups, as Entra expects).', headers: headers('ETag') },
              }
            : { '200': scim('The User as patched.', document, ['ETag']) }),
          ...errors(400, 401, 404, 409, 412, 413, 415, 503),
        },
      },
      delete: {
        operationId: `delete${type}`,
        parameters: [param('id'), param('ifMatch')],
        responses: { '204': { description: 'Deleted.' }, ...errors(400, 401, 404, 412, 503) },
      },
    },
  };
}

function discovery(operationId: string, schema: string, byId = false): Operation {
  return {
    operationId,
    parameters: byId ? [param('id')] : [],
    responses: {
      '200': scim('The discovery document.', ref(schema)),
      ...errors(...(byId ? [401, 404, 503] : [401, 503])),
    },
  };
}

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Malformed request; `scimType` says how.',
  401: 'Missing or invalid bearer token.',
  404: 'No such resource in this connection.',
  409: 'A unique attribute (userName, Group displayName) is taken (`scimType` uniqueness).',
  412: 'If-Match names a version that is no longer current.',
  413: 'The body is larger than the endpoint accepts.',
  415: 'The body is not JSON.',
  503: 'The API server is unreachable or too slow, or the request ran past its deadline.',
};

/**
 * Node's HTTP server answers 431, with no body, before the application sees a request whose request line and headers
 * exceed its 16 KiB limit: a 4096-character filter can take six times that once percent-encoded.
 */
const HEADERS_TOO_LARGE: JsonSchema = {
  description: "The request line and headers exceed Node's 16 KiB limit; answered by the HTTP server, with no body.",
};

function errors(...statuses: number[]): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  for (const status of statuses) {
    const extra = status === 503 ? ['RetryAfter'] : status === 401 ? ['WWWAuthenticate'] : [];
    out[String(status)] = scim(ERROR_DESCRIPTIONS[status] ?? 'Error.', ref('Error'), extra);
  }
  out['431'] = HEADERS_TOO_LARGE;
  return out;
}

function scim(description: string, schema: JsonSchema, headerNames: string[] = []): JsonSchema {
  const response: JsonSchema = {
    description,
    content: Object.fromEntries(SCIM_MEDIA_TYPES.map((type) => [type, { schema }])),
  };
  if (headerNames.length) response.headers = headers(...headerNames);
  return response;
}

function headers(...names: string[]): JsonSchema {
  const wire: Record<string, string> = { RetryAfter: 'Retry-After', WWWAuthenticate: 'WWW-Authenticate' };
  return Object.fromEntries(names.map((name) => [wire[name] ?? name, { $ref: `#/components/headers/${name}` }]));
}

function body(schema: JsonSchema): JsonSchema {
  return { required: true, content: Object.fromEntries(SCIM_MEDIA_TYPES.map((type) => [type, { schema }])) };
}

function query(name: string, description: string, schema: JsonSchema): JsonSchema {
  return { name, in: 'query', required: false, description, schema };
}

function param(name: string): JsonSchema {
  return { $ref: `#/components/parameters/${name}` };
}

function ref(name: string): JsonSchema {
  return { $ref: `#/components/schemas/${name}` };
}
