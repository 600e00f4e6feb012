/**
 * The JSON Schema of a PatchOp (RFC 7644 section 3.5.2) for one resource type, derived from the schema registry: each
 * operation names a writable attribute and carries a value of that attribute's type, or has no path and carries a
 * partial resource, or removes. Value-filtered paths (`emails[type eq "work"].value`) are valid too and described
 * loosely. The endpoint also takes `op` in any case and Entra's string booleans; only the canonical form is listed.
 */

import { PATCH_OP_SCHEMA } from '../../scim/patch-operation.ts';
import { limits, type ResourceTypeName } from '../../scim/schemas.ts';
import { uri } from './message-schemas.ts';
import { attributeSchema, type JsonSchema, resourceRequestSchema, writableAttributes } from './resource-schemas.ts';

const ADD_OR_REPLACE = { type: 'string', enum: ['add', 'replace', 'Add', 'Replace'] };
const FILTERED_PATH = { type: 'string', pattern: '^[A-Za-z][\\w$-]*\\[.+\\](\\.[A-Za-z$][\\w$]*)?$' };

export function patchOpSchema(type: ResourceTypeName): JsonSchema {
  const attributes = writableAttributes(type);
  const { required: _required, ...partialResource } = resourceRequestSchema(type);
  const operations: JsonSchema[] = [
    ...attributes.map(({ path, def }) => operation(ADD_OR_REPLACE, { const: path }, attributeSchema(def, 'request'))),
    // Unlike POST and PUT, a PATCH refuses attributes it does not know (invalidPath).
    operation(ADD_OR_REPLACE, undefined, { ...partialResource, additionalProperties: false }),
    operation({ type: 'string', enum: ['remove', 'Remove'] }, { enum: attributes.map((a) => a.path) }),
    operation({ type: 'string', enum: ['add', 'remove', 'replace'] }, FILTERED_PATH, {}),
  ];
  return {
    type: 'object',
    description: 'RFC 7644 section 3.5.2; `schemas` may be omitted.',
    properties: {
      schemas: uri(PATCH_OP_SCHEMA),
      Operations: { type: 'array', minItems: 1, maxItems: limits.maxPatchOperations, items: { anyOf: operations } },
    },
    required: ['Operations'],
  };
}

function operation(op: JsonSchema, path: JsonSchema | undefined, value?: JsonSchema): JsonSchema {
  const properties: Record<string, JsonSchema> = { op };
  const required = ['op'];
  if (path) {
    properties.path = { type: 'string', ...path };
    required.push('path');
  }
  if (value) {
    properties.value = value;
    required.push('value');
  }
  return { type: 'object', properties, required };
}
