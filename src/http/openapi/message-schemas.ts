/**
 * JSON Schemas of the SCIM messages around resources: the RFC 7644 section 3.12 error, ListResponse, PatchOp and the
 * discovery documents (RFC 7643 sections 5-7). Constants come from the modules that build the messages.
 */

import { RESOURCE_TYPE_SCHEMA, SCHEMA_SCHEMA, SERVICE_PROVIDER_CONFIG_SCHEMA } from '../../scim/discovery.ts';
import { SCIM_ERROR_SCHEMA, type ScimType } from '../../scim/errors.ts';
import { LIST_RESPONSE_SCHEMA } from '../../scim/list-response.ts';
import { limits } from '../../scim/schemas.ts';
import type { JsonSchema } from './resource-schemas.ts';

/** RFC 7644 table 9, as a record so the compiler fails here when errors.ts gains or loses a scimType. */
const SCIM_TYPES: Record<ScimType, true> = {
  invalidFilter: true,
  tooMany: true,
  uniqueness: true,
  mutability: true,
  invalidSyntax: true,
  invalidPath: true,
  noTarget: true,
  invalidValue: true,
  invalidVers: true,
  sensitive: true,
};

export const uri = (value: string): JsonSchema => ({
  type: 'array',
  items: { type: 'string', const: value },
  minItems: 1,
});
const closed = (properties: Record<string, JsonSchema>, required: string[]): JsonSchema => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
});

export const errorSchema: JsonSchema = closed(
  {
    schemas: uri(SCIM_ERROR_SCHEMA),
    status: { type: 'string', pattern: '^[1-5][0-9]{2}$', description: 'The HTTP status, as a string.' },
    scimType: { type: 'string', enum: Object.keys(SCIM_TYPES) },
    detail: { type: 'string' },
  },
  ['schemas', 'status'],
);

export function listResponseSchema(resourceRef: string): JsonSchema {
  return closed(
    {
      schemas: uri(LIST_RESPONSE_SCHEMA),
      totalResults: { type: 'integer', minimum: 0 },
      startIndex: { type: 'integer', minimum: 1 },
      itemsPerPage: { type: 'integer', minimum: 0, maximum: limits.maxResults },
      Resources: { type: 'array', items: { $ref: resourceRef }, maxItems: limits.maxResults },
    },
    ['schemas', 'totalResults', 'startIndex', 'itemsPerPage', 'Resources'],
  );
}

const meta = (resourceType: string): JsonSchema =>
  closed({ resourceType: { type: 'string', const: resourceType }, location: { type: 'string' } }, [
    'resourceType',
    'location',
  ]);

export const serviceProviderConfigSchema: JsonSchema = closed(
  {
    schemas: uri(SERVICE_PROVIDER_CONFIG_SCHEMA),
    patch: supported({}),
    bulk: supported({ maxOperations: { type: 'integer' }, maxPayloadSize: { type: 'integer' } }),
    filter: supported({ maxResults: { type: 'integer' } }),
    changePassword: supported({}),
    sort: supported({}),
    etag: supported({}),
    authenticationSchemes: {
      type: 'array',
      items: closed(
        {
          type: { type: 'string' },
          name: { type: 'string' },
          description: { type: 'string' },
          specUri: { type: 'string' },
          documentationUri: { type: 'string' },
          primary: { type: 'boolean' },
        },
        ['type', 'name', 'description'],
      ),
    },
    meta: meta('ServiceProviderConfig'),
  },
  ['schemas', 'patch', 'bulk', 'filter', 'changePassword', 'sort', 'etag', 'authenticationSchemes'],
);

function supported(extra: Record<string, JsonSchema>): JsonSchema {
  return closed({ supported: { type: 'boolean' }, ...extra }, ['supported', ...Object.keys(extra)]);
}

export const resourceTypeSchema: JsonSchema = closed(
  {
    schemas: uri(RESOURCE_TYPE_SCHEMA),
    id: { type: 'string' },
    name: { type: 'string' },
    endpoint: { type: 'string' },
    description: { type: 'string' },
    schema: { type: 'string' },
    schemaExtensions: {
      type: 'array',
      items: closed({ schema: { type: 'string' }, required: { type: 'boolean' } }, ['schema', 'required']),
    },
    meta: meta('ResourceType'),
  },
  ['schemas', 'id', 'name', 'endpoint', 'schema'],
);

/** RFC 7643 section 7 attribute characteristics; SCIM nests sub-attributes one level deep, so this does too. */
function schemaAttribute(withSubAttributes: boolean): JsonSchema {
  const properties: Record<string, JsonSchema> = {
    name: { type: 'string' },
    type: { type: 'string', enum: ['string', 'boolean', 'decimal', 'integer', 'dateTime', 'reference', 'complex'] },
    multiValued: { type: 'boolean' },
    description: { type: 'string' },
    required: { type: 'boolean' },
    caseExact: { type: 'boolean' },
    mutability: { type: 'string', enum: ['readOnly', 'readWrite', 'immutable', 'writeOnly'] },
    returned: { type: 'string', enum: ['always', 'never', 'default', 'request'] },
    uniqueness: { type: 'string', enum: ['none', 'server', 'global'] },
    canonicalValues: { type: 'array', items: { type: 'string' } },
    referenceTypes: { type: 'array', items: { type: 'string' } },
  };
  if (withSubAttributes) properties.subAttributes = { type: 'array', items: schemaAttribute(false) };
  return closed(properties, ['name', 'type', 'multiValued', 'required', 'mutability', 'returned']);
}

export const schemaDocumentSchema: JsonSchema = closed(
  {
    schemas: uri(SCHEMA_SCHEMA),
    id: { type: 'string' },
    name: { type: 'string' },
    description: { type: 'string' },
    attributes: { type: 'array', items: schemaAttribute(true) },
    meta: meta('Schema'),
  },
  ['schemas', 'id', 'attributes'],
);
