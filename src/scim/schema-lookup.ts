/** Look-ups in the schema registry by resource type, shared by the normaliser and the PATCH engine. */

import type { AttributeDefinition, ResourceTypeName, SchemaDefinition } from './schemas.ts';
import { resourceType, schemaById } from './schemas.ts';

/** The core schema of `type`: User or Group. */
export function coreSchema(type: ResourceTypeName): SchemaDefinition {
  return schemaById(resourceType(type).schema)!;
}

/** The extension schemas `type` declares (the enterprise User extension). */
export function extensionSchemas(type: ResourceTypeName): SchemaDefinition[] {
  return resourceType(type).schemaExtensions.map((e) => schemaById(e.schema)!);
}

/** Group `members`: kept by the store apart from the document, never more than a request may name. */
export function isMember(def: AttributeDefinition): boolean {
  return def.name === 'members' && def.multiValued && def.type === 'complex';
}
