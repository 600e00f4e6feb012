/**
 * PATCH paths (RFC 7644 section 3.5.2): `parsePatchPath` reads one, and `resolvePatchTarget` finds what it addresses
 * for a resource type. The normaliser and the PATCH engine both resolve paths here, so they agree on what a path means.
 */

import type { AttributePath } from './attribute-path.ts';
import {
  ATTRIBUTE_NAME,
  canonicalAttributePath,
  locateAttribute,
  parseAttributePath,
  sameName,
} from './attribute-path.ts';
import { invalidPath, mutability, ScimError } from './errors.ts';
import type { Filter } from './filter.ts';
import { parseFilter } from './filter-parser.ts';
import type { AttributeDefinition, ResourceTypeName } from './schemas.ts';

/**
 * A PATCH operation's target. `attribute` is the path before any brackets, so `name.givenName` is
 * `{ attribute: { attribute: 'name', subAttribute: 'givenName' } }`. With brackets, `valueFilter` selects elements of
 * `attribute` (its paths name sub-attributes of one element) and `subAttribute` is what follows the closing bracket:
 * `emails[type eq "work"].value` is `{ attribute: { attribute: 'emails' }, valueFilter: type eq "work",
 * subAttribute: 'value' }`.
 */
export interface PatchPath {
  attribute: AttributePath;
  valueFilter?: Filter;
  subAttribute?: string;
}

/** What a PATCH path addresses for one resource type. */
export interface PatchTarget {
  /** The path with the registry's spelling; `schema` is set only for extension attributes. */
  path: PatchPath;
  def: AttributeDefinition;
  /** The extension schema URN holding the attribute; absent for core attributes. */
  extension?: string;
  /** The sub-attribute addressed, by `name.givenName` or by `emails[type eq "work"].value`. */
  sub?: AttributeDefinition;
  /** The attribute for messages, without the sub-attribute: `urn:...:User:manager`, `emails`. */
  label: string;
}

/**
 * Parses a PATCH path. Brackets are found before the URN is split, so a colon inside a quoted filter value
 * (`members[value eq "urn:x:y"]`) never ends up in the schema.
 */
export function parsePatchPath(text: string): PatchPath {
  const trimmed = text.trim();
  const open = trimmed.indexOf('[');
  if (open < 0) return { attribute: parseAttributePath(trimmed) };
  const close = closingBracket(trimmed, open);
  if (close < 0) throw invalidPath(`PATCH path '${text}' has no ']' matching the '[' at position ${open + 1}`);

  let filter: Filter;
  try {
    filter = parseFilter(trimmed.slice(0, close + 1));
  } catch (err) {
    if (err instanceof ScimError) throw invalidPath(`PATCH path '${text}' is invalid: ${err.message}`);
    throw err;
  }
  if (filter.op !== 'valuePath') throw invalidPath(`PATCH path '${text}' is not an attribute path`);

  const tail = trimmed.slice(close + 1);
  if (tail === '') return { attribute: filter.path, valueFilter: filter.filter };
  const name = tail.slice(1);
  if (!tail.startsWith('.') || !ATTRIBUTE_NAME.test(name)) {
    throw invalidPath(`PATCH path '${text}' may only have '.subAttribute' after ']', found '${tail}'`);
  }
  const subAttribute = canonicalAttributePath({ attribute: name }, filter.path).attribute;
  return { attribute: filter.path, valueFilter: filter.filter, subAttribute };
}

/**
 * Resolves `parsed` against the registry for `type`. Throws `invalidPath` naming `shown` (the path as the client sent
 * it) for an unknown attribute or sub-attribute, or a path naming two sub-attributes (`name.givenName[...]`-style).
 */
export function resolvePatchTarget(type: ResourceTypeName, parsed: PatchPath, shown: string): PatchTarget {
  const { schema, attribute: name, subAttribute: dotted } = parsed.attribute;
  const found = locateAttribute(type, schema === undefined ? { attribute: name } : { schema, attribute: name });
  if (!found) throw invalidPath(`Unknown attribute in path '${shown}'`);
  const def = found.definition;
  if (dotted !== undefined && parsed.subAttribute !== undefined) {
    throw invalidPath(`Path '${shown}' names two sub-attributes`);
  }
  const subName = dotted ?? parsed.subAttribute;
  const sub = subName === undefined ? undefined : def.subAttributes?.find((s) => sameName(s.name, subName));
  if (subName !== undefined && !sub) throw invalidPath(`Unknown sub-attribute in path '${shown}'`);

  const attribute: AttributePath = found.extension
    ? { schema: found.extension, attribute: def.name }
    : { attribute: def.name };
  if (sub && dotted !== undefined) attribute.subAttribute = sub.name;
  const path: PatchPath = { attribute };
  if (parsed.valueFilter) path.valueFilter = parsed.valueFilter;
  if (sub && parsed.subAttribute !== undefined) path.subAttribute = sub.name;
  const target: PatchTarget = { path, def, label: found.extension ? `${found.extension}:${def.name}` : def.name };
  if (found.extension) target.extension = found.extension;
  if (sub) target.sub = sub;
  return target;
}

/** The target for messages, with its sub-attribute: `name.givenName`. */
export function targetLabel(target: PatchTarget): string {
  return target.sub ? `${target.label}.${target.sub.name}` : target.label;
}

/** RFC 7643 section 7: a readOnly attribute, or sub-attribute, cannot be the target of a PATCH (`mutability`). */
export function assertWritable(target: PatchTarget): void {
  if (target.def.mutability === 'readOnly' || target.sub?.mutability === 'readOnly') {
    throw mutability(`Attribute '${targetLabel(target)}' is readOnly`);
  }
}

/** Index of the `]` closing the `[` at `open`, skipping quoted strings; -1 when there is none. */
function closingBracket(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (c === '[') {
      depth++;
    } else if (c === ']' && --depth === 0) {
      return i;
    }
  }
  return -1;
}
