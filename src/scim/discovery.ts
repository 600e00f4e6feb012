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

/** `GET /ResourceTypes` and `GET /ResourceTypes/{id}` (RFC 7643 section 6). */
const resourceTypeCollection = collection(
  resourceTypes,
  { schema: RESOURCE_TYPE_SCHEMA, resourceType: 'ResourceType', endpoint: 'ResourceTypes' },
  (definition: ResourceTypeDefinition) => ({
    endpoint: definition.endpoint,
    description: definition.description,
    schema: definition.schema,
    schemaExtensions: definition.schemaExtensions.map(({ schema, required }) => ({ schema, required })),
  }),
);
export const resourceTypeList = resourceTypeCollection.list;
export const resourceTypeDocumentById = resourceTypeCollection.byId;

/** `GET /Schemas` and `GET /Schemas/{urn}` (RFC 7643 section 7). */
const schemaCollection = collection(
  schemas,
  { schema: SCHEMA_SCHEMA, resourceType: 'Schema', endpoint: 'Schemas' },
  (definition: SchemaDefinition) => ({
    description: definition.description,
    attributes: definition.attributes.map(attributeDocument),
  }),
);
export const schemaList = schemaCollection.list;
export const schemaDocumentById = schemaCollection.byId;

/**
 * A discovery endpoint over registry definitions: all of them as a ListResponse, or one by id, compared
 * case-insensitively (else undefined). Every document carries `schemas`, `id`, `name` and `meta`; `body` adds the rest.
 */
function collection<T extends { id: string; name: string }>(
  definitions: readonly T[],
  kind: { schema: string; resourceType: string; endpoint: string },
  body: (definition: T) => Document,
): { list(baseUrl: string): ListResponse; byId(baseUrl: string, id: string): Document | undefined } {
  const render = (baseUrl: string, definition: T): Document => ({
    schemas: [kind.schema],
    id: definition.id,
    name: definition.name,
    ...body(definition),
    meta: { resourceType: kind.resourceType, location: `${trim(baseUrl)}/${kind.endpoint}/${definition.id}` },
  });
  return {
    list(baseUrl) {
      const all = definitions.map((definition) => render(baseUrl, definition));
      return listResponse(all, all.length, 1);
    },
    byId(baseUrl, id) {
      const found = definitions.find((definition) => definition.id.toLowerCase() === id.toLowerCase());
      return found && render(baseUrl, found);
    },
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
