/**
 * The resource normaliser: turns a POST or PUT body, or a pathless PATCH value, from Entra ID, Okta and other clients
 * into canonical SCIM, so that validation, the PATCH engine and the store only ever see one shape.
 *
 * Canonical form: attribute names as spelled in the schema registry; core attributes at top level; extension
 * attributes in an object under the extension's schema URN; no `schemas`; values as `normalise-value.ts` makes them.
 */

import type { AttributePath } from './attribute-path.ts';
import { sameName } from './attribute-path.ts';
import { invalidPath, invalidSyntax, invalidValue, mutability } from './errors.ts';
import { isPlainObject, objectAt } from './json-values.ts';
import { assertMultiValuedRules, clearsWholeAttribute, type Mode, normaliseValue } from './normalise-value.ts';
import { coreSchema, extensionSchemas, isMember } from './schema-lookup.ts';
import type { ResourceTypeName, SchemaDefinition } from './schemas.ts';
import { commonAttributes } from './schemas.ts';

/**
 * Normalises a POST or PUT body. Unknown and readOnly attributes are dropped, never rejected: Entra sends a client
 * `meta` and custom extension attributes, Okta sends `password` and `groups`, and the reference Postman suite expects
 * misspelled attributes to be ignored. Throws `invalidSyntax` when the body is not an object and `invalidValue` when
 * a known attribute has the wrong JSON type, a required attribute is missing (RFC 7644 section 3.12 allows
 * `invalidValue` or `invalidSyntax`; `invalidValue` is its "a required value was missing"), a member has no `value`,
 * or a multi-valued attribute breaks RFC 7643 section 2.4 (two `primary`, two elements of one canonical `type`).
 */
export function normaliseResource(type: ResourceTypeName, body: unknown): Record<string, unknown> {
  if (!isPlainObject(body)) throw invalidSyntax('The request body must be a JSON object');
  const { attributes } = normaliseAttributes(type, body, 'resource');
  for (const def of coreSchema(type).attributes) {
    if (def.required && attributes[def.name] === undefined) {
      throw invalidValue(`Attribute '${def.name}' is required`);
    }
  }
  assertMultiValuedRules(type, attributes);
  return attributes;
}

export interface Normalised {
  attributes: Record<string, unknown>;
  /** The `id` a PATCH value carried, which must be the target's own. */
  id?: string;
  /** Attributes given as `null` or `""`: in a PATCH value they mean "remove" (RFC 7643 section 2.5). */
  cleared: AttributePath[];
}

/**
 * Canonicalises the keys of a resource body or a pathless PATCH value: case-insensitive names, URN-qualified keys
 * folded into the core or extension object, dotted keys (`name.givenName`) expanded. In `patch` mode unknown
 * attributes are `invalidPath` (they are paths in all but name), `id`, `meta` and `schemas` are ignored (Okta's group
 * rename carries them) and other readOnly attributes are `mutability`.
 */
export function normaliseAttributes(type: ResourceTypeName, body: Record<string, unknown>, mode: Mode): Normalised {
  const result: Normalised = { attributes: {}, cleared: [] };
  for (const [key, raw] of Object.entries(body)) {
    if (sameName(key, 'schemas')) continue;
    const extension = extensionSchemas(type).find((s) => sameName(s.id, key));
    if (extension) {
      if (raw === null || raw === undefined) continue;
      if (!isPlainObject(raw)) throw invalidValue(`Attribute '${extension.id}' must be an object`);
      for (const [subKey, subRaw] of Object.entries(raw)) {
        // Clients that model an extension as its own object serialise its `schemas` inside it (scim2-models does).
        if (sameName(subKey, 'schemas')) continue;
        assignKey(type, result, extension, subKey, subRaw, mode, `${extension.id}:${subKey}`);
      }
      continue;
    }
    const qualified = qualifiedKey(type, key);
    if (qualified) assignKey(type, result, qualified.schema, qualified.rest, raw, mode, key);
    else if (key.includes(':')) unknownAttribute(key, mode);
    else assignKey(type, result, schemaOfUnqualified(type, key), key, raw, mode, key);
  }
  for (const extension of extensionSchemas(type)) {
    const object = result.attributes[extension.id];
    if (isPlainObject(object) && Object.keys(object).length === 0) delete result.attributes[extension.id];
  }
  return result;
}

function assignKey(
  type: ResourceTypeName,
  result: Normalised,
  schema: SchemaDefinition,
  name: string,
  raw: unknown,
  mode: Mode,
  key: string,
): void {
  const isExtension = schema.id !== coreSchema(type).id;
  const [attrName = '', subName, ...rest] = name.split('.');
  const candidates = isExtension ? schema.attributes : [...schema.attributes, ...commonAttributes];
  const def = candidates.find((a) => sameName(a.name, attrName));
  if (!def || rest.length > 0) {
    unknownAttribute(key, mode);
    return;
  }
  if (def.mutability === 'readOnly') {
    if (mode === 'patch' && def.name === 'id' && raw !== null && raw !== undefined) result.id = String(raw);
    if (mode === 'resource' || def.name === 'id' || def.name === 'meta') return;
    throw mutability(`Attribute '${def.name}' is readOnly`);
  }
  const container = isExtension ? objectAt(result.attributes, schema.id) : result.attributes;
  const pathOf = (subAttribute?: string): AttributePath => ({
    ...(isExtension ? { schema: schema.id } : {}),
    attribute: def.name,
    ...(subAttribute ? { subAttribute } : {}),
  });
  const label = isExtension ? `${schema.id}:${def.name}` : def.name;

  if (subName !== undefined) {
    const sub = def.subAttributes?.find((s) => sameName(s.name, subName));
    if (!sub || def.multiValued) {
      unknownAttribute(key, mode);
      return;
    }
    if (sub.mutability === 'readOnly') return;
    const value = normaliseValue(sub, raw, `${label}.${sub.name}`, mode);
    if (value === undefined) result.cleared.push(pathOf(sub.name));
    else objectAt(container, def.name)[sub.name] = value;
    return;
  }
  const onClearedSub = (subAttribute: string) => result.cleared.push(pathOf(subAttribute));
  const value = normaliseValue(def, raw, label, mode, onClearedSub);
  if (value === undefined) {
    if (!clearsWholeAttribute(def, raw)) return;
    result.cleared.push(pathOf());
    delete container[def.name];
  } else if (isPlainObject(value) && isPlainObject(container[def.name])) {
    Object.assign(container[def.name] as Record<string, unknown>, value);
  } else if (Array.isArray(value) && value.length === 0 && mode === 'resource' && !isMember(def)) {
    delete container[def.name];
  } else {
    container[def.name] = value;
  }
}

function unknownAttribute(key: string, mode: Mode): void {
  if (mode === 'patch') throw invalidPath(`Unknown attribute '${key}'`);
}

function qualifiedKey(type: ResourceTypeName, key: string): { schema: SchemaDefinition; rest: string } | undefined {
  for (const schema of [coreSchema(type), ...extensionSchemas(type)]) {
    const prefix = `${schema.id}:`;
    if (key.length > prefix.length && sameName(key.slice(0, prefix.length), prefix)) {
      return { schema, rest: key.slice(prefix.length) };
    }
  }
  return undefined;
}

/** Core attributes win; an unqualified extension attribute (Entra's top-level `"manager": null`) is found too. */
function schemaOfUnqualified(type: ResourceTypeName, key: string): SchemaDefinition {
  const name = key.split('.')[0] ?? '';
  const core = coreSchema(type);
  if ([...core.attributes, ...commonAttributes].some((a) => sameName(a.name, name))) return core;
  return extensionSchemas(type).find((s) => s.attributes.some((a) => sameName(a.name, name))) ?? core;
}
