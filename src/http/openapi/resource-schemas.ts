/**
 * JSON Schemas (draft 2020-12, as OpenAPI 3.1 uses) of Users and Groups, derived from the SCIM schema registry so the
 * OpenAPI description cannot drift from what the endpoint stores and returns.
 *
 * Responses are described strictly: only registry attributes, each of its type, complex values closed to their
 * sub-attributes, because the endpoint drops unknown attributes on the way in and builds documents from the registry
 * on the way out. Only `schemas`, `id` and `meta.resourceType` are required, since `attributes` and
 * `excludedAttributes` may project everything else away. Requests are described as the canonical form a client
 * should send; the endpoint is more lenient (Entra's `"True"` strings, a bare `manager` id, unknown attributes), which
 * a description of valid input need not list.
 */

import {
  type AttributeDefinition,
  commonAttributes,
  limits,
  type ResourceTypeName,
  resourceType,
  type SchemaDefinition,
  schemaById,
} from '../../scim/schemas.ts';

export type JsonSchema = { [keyword: string]: unknown };

type Direction = 'request' | 'response';

/** The document of a resource as the endpoint returns it (GET, POST, PUT, PATCH with a body, list elements). */
export function resourceResponseSchema(type: ResourceTypeName): JsonSchema {
  const { core, extensions } = schemasOf(type);
  const properties: Record<string, JsonSchema> = {
    schemas: schemasProperty([core.id, ...extensions.map((e) => e.id)]),
    ...attributeProperties(commonAttributes, 'response'),
    ...attributeProperties(core.attributes, 'response'),
  };
  for (const extension of extensions) properties[extension.id] = objectSchema(extension.attributes, 'response');
  properties.meta = { ...properties.meta, required: ['resourceType'] };
  return {
    type: 'object',
    description: `A ${type} as the endpoint returns it; attributes outside a projection are absent.`,
    properties,
    required: ['schemas', 'id', 'meta'],
    additionalProperties: false,
  };
}

/** A POST or PUT body: the core schema's writable attributes, its required ones, and each extension under its URN. */
export function resourceRequestSchema(type: ResourceTypeName): JsonSchema {
  const { core, extensions } = schemasOf(type);
  const externalId = commonAttributes.filter((def) => def.mutability !== 'readOnly');
  const properties: Record<string, JsonSchema> = {
    schemas: schemasProperty([core.id, ...extensions.map((e) => e.id)]),
    ...attributeProperties(externalId, 'request'),
    ...attributeProperties(core.attributes, 'request'),
  };
  for (const extension of extensions) properties[extension.id] = objectSchema(extension.attributes, 'request');
  const required = core.attributes.filter((def) => def.required).map((def) => def.name);
  // A blank required value is as good as none (RFC 7643 section 2.5), and is refused like one.
  for (const name of required) properties[name] = { ...properties[name], pattern: '\\S' };
  return {
    type: 'object',
    description: `A ${type} to create or replace. Unknown and readOnly attributes are ignored.`,
    properties,
    required,
  };
}

/**
 * The writable attributes a PATCH path can name outright: `userName`, `name.givenName`, and extension attributes
 * behind their URN (`urn:...:enterprise:2.0:User:manager.value`).
 */
export function writableAttributes(type: ResourceTypeName): { path: string; def: AttributeDefinition }[] {
  const { core, extensions } = schemasOf(type);
  const found: { path: string; def: AttributeDefinition }[] = [];
  const walk = (definitions: AttributeDefinition[], prefix: string) => {
    for (const def of definitions) {
      if (def.mutability === 'readOnly') continue;
      found.push({ path: `${prefix}${def.name}`, def });
      if (def.type === 'complex' && !def.multiValued) walk(def.subAttributes ?? [], `${prefix}${def.name}.`);
    }
  };
  walk(commonAttributes, '');
  walk(core.attributes, '');
  for (const extension of extensions) walk(extension.attributes, `${extension.id}:`);
  return found;
}

/** The JSON Schema of one attribute's value; readOnly attributes are marked so. */
export function attributeSchema(def: AttributeDefinition, direction: Direction): JsonSchema {
  const single = singleValueSchema(def, direction);
  const schema: JsonSchema = def.multiValued ? { type: 'array', items: single } : single;
  if (def.maxValues !== undefined) schema.maxItems = def.maxValues;
  if (def.name === 'members' && direction === 'request') schema.maxItems = limits.maxMembersPerRequest;
  if (def.multiValued && direction === 'request' && def.subAttributes?.some((sub) => sub.name === 'primary')) {
    // RFC 7643 section 2.4: at most one element is primary; the endpoint refuses two.
    Object.assign(schema, { contains: { required: ['primary'], properties: { primary: { const: true } } } });
    Object.assign(schema, { minContains: 0, maxContains: 1 });
  }
  schema.description = def.description;
  if (def.mutability === 'readOnly') schema.readOnly = true;
  return schema;
}

function singleValueSchema(def: AttributeDefinition, direction: Direction): JsonSchema {
  switch (def.type) {
    case 'string':
    case 'reference':
      // Group members are only Users or Groups; other canonicalValues are suggestions (RFC 7643 section 7).
      return def.name === 'type' && def.canonicalValues?.join() === 'User,Group'
        ? { type: 'string', enum: def.canonicalValues }
        : { type: 'string' };
    case 'dateTime':
      return { type: 'string', format: 'date-time' };
    case 'boolean':
      return { type: 'boolean' };
    case 'integer':
      return { type: 'integer' };
    case 'decimal':
      return { type: 'number' };
    case 'complex':
      return def.name === 'members' ? memberSchema(def, direction) : objectSchema(def.subAttributes ?? [], direction);
  }
}

/** A Group member names its User or Group by `value`; a member without one (or with `""`) is refused. */
function memberSchema(def: AttributeDefinition, direction: Direction): JsonSchema {
  const schema = objectSchema(def.subAttributes ?? [], direction, ['value']);
  const properties = schema.properties as Record<string, JsonSchema>;
  if (direction === 'request') properties.value = { ...properties.value, minLength: 1 };
  return schema;
}

function objectSchema(definitions: AttributeDefinition[], direction: Direction, required: string[] = []): JsonSchema {
  const schema: JsonSchema = { type: 'object', properties: attributeProperties(definitions, direction) };
  if (required.length) schema.required = required;
  if (direction === 'response') schema.additionalProperties = false;
  return schema;
}

function attributeProperties(definitions: AttributeDefinition[], direction: Direction): Record<string, JsonSchema> {
  const properties: Record<string, JsonSchema> = {};
  for (const def of definitions) {
    if (def.returned === 'never' && direction === 'response') continue;
    if (def.mutability === 'readOnly' && direction === 'request') continue;
    properties[def.name] = attributeSchema(def, direction);
  }
  return properties;
}

function schemasProperty(urns: string[]): JsonSchema {
  return {
    type: 'array',
    description: 'The schema URNs of the resource.',
    items: { type: 'string', enum: urns },
    minItems: 1,
  };
}

function schemasOf(type: ResourceTypeName): { core: SchemaDefinition; extensions: SchemaDefinition[] } {
  const definition = resourceType(type);
  const core = schemaById(definition.schema);
  if (!core) throw new Error(`no schema ${definition.schema} for ${type}`);
  const extensions = definition.schemaExtensions.map(({ schema }) => {
    const found = schemaById(schema);
    if (!found) throw new Error(`no schema ${schema} for ${type}`);
    return found;
  });
  return { core, extensions };
}
