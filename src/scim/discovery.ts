/**
 * The discovery documents (RFC 7643 sections 5-7, RFC 7644 section 4), all derived from the schema registry so that
 * what is advertised is what is stored. Collections are ListResponses (Entra's `/Schemas` reader expects one); no
 * value is ever null (Entra's validator rejects nulls).
 */

import { type ListResponse, listResponse } from './list-response.ts';
import {
  type AttributeDefinition,
  limits,
  type ResourceTypeDefinition,
  resourceTypes,
  type SchemaDefinition,
  schemas,
} from './schemas.ts';

export const SERVICE_PROVIDER_CONFIG_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
export const RESOURCE_TYPE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
export const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';

type Document = Record<string, unknown>;

export function serviceProviderConfig(baseUrl: string): Document {
  return {
    schemas: [SERVICE_PROVIDER_CONFIG_SCHEMA],
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: limits.maxResults },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: 'Authentication with a bearer token in the Authorization header, one token per connection.',
        primary: true,
      },
    ],
    meta: {
      resourceType: 'ServiceProviderConfig',
      location: `${trim(baseUrl)}/ServiceProviderConfig`,
    },
  };
}

export function resourceTypeList(baseUrl: string): ListResponse {
  const all = resourceTypes.map((definition) => resourceTypeDocument(baseUrl, definition));
  return listResponse(all, all.length, 1);
}

/** The ResourceType with this id (case-insensitive), or undefined. */
export function resourceTypeDocumentById(baseUrl: string, id: string): Document | undefined {
  const found = resourceTypes.find((definition) => definition.id.toLowerCase() === id.toLowerCase());
  return found && resourceTypeDocument(baseUrl, found);
}

export function schemaList(baseUrl: string): ListResponse {
  const all = schemas.map((definition) => schemaDocument(baseUrl, definition));
  return listResponse(all, all.length, 1);
}

/** The Schema with this URN (case-insensitive), or undefined. */
export function schemaDocumentById(baseUrl: string, id: string): Document | undefined {
  const found = schemas.find((definition) => definition.id.toLowerCase() === id.toLowerCase());
  return found && schemaDocument(baseUrl, found);
}

function resourceTypeDocument(baseUrl: string, definition: ResourceTypeDefinition): Document {
  return {
    schemas: [RESOURCE_TYPE_SCHEMA],
    id: definition.id,
    name: definition.name,
    endpoint: definition.endpoint,
    description: definition.description,
    schema: definition.schema,
    schemaExtensions: definition.schemaExtensions.map(({ schema, required }) => ({ schema, required })),
    meta: { resourceType: 'ResourceType', location: `${trim(baseUrl)}/ResourceTypes/${definition.id}` },
  };
}

function schemaDocument(baseUrl: string, definition: SchemaDefinition): Document {
  return {
    schemas: [SCHEMA_SCHEMA],
    id: definition.id,
    name: definition.name,
    description: definition.description,
    attributes: definition.attributes.map(attributeDocument),
    meta: { resourceType: 'Schema', location: `${trim(baseUrl)}/Schemas/${definition.id}` },
  };
}

function attributeDocument(definition: AttributeDefinition): Document {
  const doc: Document = {
    name: definition.name,
    type: definition.type,
    multiValued: definition.multiValued,
    description: definition.description,
    required: definition.required,
    caseExact: definition.caseExact,
    mutability: definition.mutability,
    returned: definition.returned,
    uniqueness: definition.uniqueness,
  };
  if (definition.canonicalValues?.length) doc.canonicalValues = [...definition.canonicalValues];
  if (definition.referenceTypes?.length) doc.referenceTypes = [...definition.referenceTypes];
  if (definition.subAttributes?.length) doc.subAttributes = definition.subAttributes.map(attributeDocument);
  return doc;
}

function trim(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, '');
}
