/**
 * SCIM attribute paths (RFC 7644 section 3.10), resolved against the schema registry. PATCH paths, which may hold a
 * value filter, are `patch-path.ts`'s.
 *
 * Names match case-insensitively (RFC 7643 section 2.1). Parsed paths carry the registry's spelling of every name the
 * registry knows, in any schema, and the spelling as sent otherwise: which attributes exist depends on the resource
 * type, and that is `resolveAttribute`'s question, not the parser's.
 */

import { invalidPath } from './errors.ts';
import type { AttributeDefinition, ResourceTypeName } from './schemas.ts';
import { commonAttributes, resourceType, resourceTypes, schemaById, schemas } from './schemas.ts';

export interface AttributePath {
  /** The schema URN the path was qualified with: the registry's spelling when known, as sent otherwise. */
  schema?: string;
  attribute: string;
  subAttribute?: string;
}

/** Where an attribute lives for one resource type, and its definitions. */
export interface ResolvedAttribute {
  /** The extension schema URN, which is also the attribute's key in a resource document; absent for core attributes. */
  extension?: string;
  definition: AttributeDefinition;
  /** Present exactly when the path names a sub-attribute. */
  subDefinition?: AttributeDefinition;
}

/** RFC 7643 ATTRNAME, plus `$ref`, the one sub-attribute name that breaks the rule. */
export const ATTRIBUTE_NAME = /^(?:[a-z][\w-]*|\$ref)$/i;
const URN = /^urn(?::[^\s:"()[\]]+)+$/i;

const allAttributes: readonly AttributeDefinition[] = [...schemas.flatMap((s) => s.attributes), ...commonAttributes];

export type SplitResult = { ok: true; path: AttributePath } | { ok: false; reason: string };

/**
 * Splits `[URN ":"] name ["." subName]` without consulting the registry. A known schema URN is matched as a prefix, so
 * registry URNs split correctly whatever their case; any other URN ends at the last colon.
 */
export function splitAttributePath(text: string): SplitResult {
  let schema: string | undefined;
  let rest = text;
  if (/^urn:/i.test(text)) {
    const lower = text.toLowerCase();
    if (schemaById(text)) return { ok: false, reason: 'it names a schema, not an attribute' };
    const known = schemas.find((s) => lower.startsWith(`${s.id.toLowerCase()}:`));
    const cut = known ? known.id.length : text.lastIndexOf(':');
    schema = known ? known.id : text.slice(0, cut);
    rest = text.slice(cut + 1);
    if (!URN.test(schema)) return { ok: false, reason: `'${schema}' is not a schema URN` };
  }
  const names = rest.split('.');
  if (names.length > 2) return { ok: false, reason: 'at most one sub-attribute may follow an attribute' };
  const [attribute, subAttribute] = names as [string, string | undefined];
  for (const name of names) {
    if (!ATTRIBUTE_NAME.test(name)) return { ok: false, reason: `'${name}' is not an attribute name` };
  }
  const path: AttributePath = { attribute };
  if (schema !== undefined) path.schema = schema;
  if (subAttribute !== undefined) path.subAttribute = subAttribute;
  return { ok: true, path };
}

/** Parses an attribute path such as `name.givenName` or `urn:...:enterprise:2.0:User:manager.value`. */
export function parseAttributePath(text: string): AttributePath {
  const split = splitAttributePath(text);
  if (!split.ok) throw invalidPath(`'${text}' is not an attribute path: ${split.reason}`);
  return canonicalAttributePath(split.path);
}

/**
 * Respells the names of `path` as the registry does. With `parent`, `path` is relative to an element of that
 * attribute (as inside `emails[...]`) and its attribute is looked up among the parent's sub-attributes.
 */
export function canonicalAttributePath(path: AttributePath, parent?: AttributePath): AttributePath {
  const candidates = parent ? (definitionAnywhere(parent)?.subAttributes ?? []) : attributesOf(path.schema);
  const definition = findAttribute(candidates, path.attribute);
  const canonical: AttributePath = { attribute: definition?.name ?? path.attribute };
  if (path.schema !== undefined) canonical.schema = schemaById(path.schema)?.id ?? path.schema;
  if (path.subAttribute !== undefined) {
    canonical.subAttribute =
      findAttribute(definition?.subAttributes ?? [], path.subAttribute)?.name ?? path.subAttribute;
  }
  return canonical;
}

/** Attribute names and keywords compare case-insensitively (RFC 7643 section 2.1). */
export function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Case-insensitive lookup of an attribute definition by name. */
export function findAttribute(
  definitions: readonly AttributeDefinition[],
  name: string,
): AttributeDefinition | undefined {
  const lower = name.toLowerCase();
  return definitions.find((d) => d.name.toLowerCase() === lower);
}

/**
 * Finds an attribute of a resource type: in its core schema, then the common attributes (id, externalId, meta), then
 * its extensions. Unqualified extension attributes resolve too, because Entra sends `manager eq "..."` and
 * `manager[value eq "..."]`. A path qualified with a schema the type does not have resolves to nothing.
 */
export function locateAttribute(type: ResourceTypeName, path: AttributePath): ResolvedAttribute | undefined {
  const definitionOfType = resourceType(type);
  const schema = path.schema?.toLowerCase();
  let found: ResolvedAttribute | undefined;

  if (schema === undefined || schema === definitionOfType.schema.toLowerCase()) {
    const core = schemaById(definitionOfType.schema)?.attributes ?? [];
    const definition = findAttribute([...core, ...commonAttributes], path.attribute);
    if (definition) found = { definition };
  }
  for (const { schema: extension } of definitionOfType.schemaExtensions) {
    if (found || (schema !== undefined && schema !== extension.toLowerCase())) continue;
    const definition = findAttribute(schemaById(extension)?.attributes ?? [], path.attribute);
    if (definition) found = { extension, definition };
  }

  if (!found || path.subAttribute === undefined) return found;
  const subDefinition = findAttribute(found.definition.subAttributes ?? [], path.subAttribute);
  return subDefinition ? { ...found, subDefinition } : undefined;
}

/** The definition of what `path` names for `type`: the sub-attribute's when it has one. */
export function resolveAttribute(type: ResourceTypeName, path: AttributePath): AttributeDefinition | undefined {
  const found = locateAttribute(type, path);
  return found?.subDefinition ?? found?.definition;
}

/** The path as text, for messages: `urn:...:User:manager.value`. */
export function formatAttributePath(path: AttributePath): string {
  const name = path.subAttribute === undefined ? path.attribute : `${path.attribute}.${path.subAttribute}`;
  return path.schema === undefined ? name : `${path.schema}:${name}`;
}

function attributesOf(schema: string | undefined): readonly AttributeDefinition[] {
  if (schema === undefined) return allAttributes;
  const found = schemaById(schema);
  if (!found) return [];
  const isCore = resourceTypes.some((t) => t.schema === found.id);
  return isCore ? [...found.attributes, ...commonAttributes] : found.attributes;
}

function definitionAnywhere(path: AttributePath): AttributeDefinition | undefined {
  const definition = findAttribute(attributesOf(path.schema), path.attribute);
  if (path.subAttribute === undefined) return definition;
  return findAttribute(definition?.subAttributes ?? [], path.subAttribute);
}
