/**
 * The request normaliser: turns what Entra ID, Okta and other clients send into canonical SCIM, so that validation,
 * the PATCH engine and the store only ever see one shape. It is lenient where real clients deviate from RFC 7643/7644
 * in ways that are unambiguous (the IdP research, sections 1.4, 1.5 and 2.1), and strict about types otherwise.
 *
 * Canonical form: attribute names as spelled in the schema registry; core attributes at top level; extension
 * attributes in an object under the extension's schema URN; no `null`, `""` or empty complex values (RFC 7643
 * section 2.5 treats them as unassigned); no `schemas`; booleans as JSON booleans; Group members as `{ value, type? }`.
 */

import type { AttributePath, PatchPath } from './attribute-path.ts';
import { locateAttribute, parsePatchPath } from './attribute-path.ts';
import { invalidPath, invalidSyntax, invalidValue, mutability, noTarget, tooMany } from './errors.ts';
import type { Filter } from './filter.ts';
import { isPlainObject, parseBoolean } from './json-values.ts';
import type { AttributeDefinition, ResourceTypeName, SchemaDefinition } from './schemas.ts';
import { commonAttributes, limits, resourceType, schemaById } from './schemas.ts';
import type { StoredMember } from './store.ts';

export const PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

export type PatchOp = 'add' | 'remove' | 'replace';

/**
 * One normalised PATCH operation. `path` is canonical (registry spelling, `schema` set only for extension
 * attributes). `value` is canonical for its target: a partial resource when pathless, an array for a multi-valued
 * attribute, one element for a value-filtered path, a scalar for a simple attribute. `add` and `replace` always
 * carry a value; clearing (`null`, `""`) is expressed as `remove`.
 */
export interface PatchOperation {
  op: PatchOp;
  path?: PatchPath;
  value?: unknown;
  /**
   * The `id` a pathless value carried (Okta's group rename sends the group's own). It is not an attribute to write,
   * but a claim about the target: `applyPatch` refuses the request when it names another resource (T33).
   */
  expectId?: string;
}

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

/**
 * Normalises a PatchOp request body into operations for `applyPatch`. `schemas` may be absent (Okta's examples omit
 * it) but, when present, must name the PatchOp URN. `Operations` must be a non-empty array of at most
 * `limits.maxPatchOperations` entries (`tooMany` beyond, checked before any operation is read). `op` is
 * case-insensitive. Throws `invalidSyntax` for a malformed request, `invalidPath` for an unknown or unsupported path,
 * `noTarget` for `remove` without a path and `invalidValue` for a value of the wrong type, a multi-valued value with
 * more than its attribute's `maxValues` elements, or more than `limits.maxMembersPerRequest` member values and
 * member filter terms in all operations together.
 */
export function normalisePatchRequest(type: ResourceTypeName, body: unknown): PatchOperation[] {
  if (!isPlainObject(body)) throw invalidSyntax('The request body must be a JSON object');
  const schemas = valueOfKey(body, 'schemas');
  if (schemas !== undefined) {
    const listed = Array.isArray(schemas) && schemas.some((s) => typeof s === 'string' && sameName(s, PATCH_OP_SCHEMA));
    if (!listed) throw invalidSyntax(`schemas must contain '${PATCH_OP_SCHEMA}'`);
  }
  const operations = valueOfKey(body, 'Operations');
  if (!Array.isArray(operations) || operations.length === 0) {
    throw invalidSyntax('Operations must be a non-empty array');
  }
  if (operations.length > limits.maxPatchOperations) {
    throw tooMany(
      `The request has ${operations.length} PATCH operations; at most ${limits.maxPatchOperations} (maxPatchOperations) are accepted`,
    );
  }
  const normalised: PatchOperation[] = [];
  let members = 0;
  operations.forEach((operation, index) => {
    for (const one of normaliseOperation(type, operation, index)) {
      members += memberIdsOf(type, one).length;
      if (members > limits.maxMembersPerRequest) throw tooManyMembers(members);
      normalised.push(one);
    }
  });
  return normalised;
}

/** The member ids a normalised operation names: in its value, or in the `value eq` terms of its `members[...]` filter. */
export function memberIdsOf(type: ResourceTypeName, operation: PatchOperation): string[] {
  if (type !== 'Group') return [];
  const { path, value } = operation;
  const values = (list: unknown) => (Array.isArray(list) ? list.map((m: StoredMember) => m.value) : []);
  if (!path) return isPlainObject(value) ? values(value.members) : [];
  if (path.attribute.attribute !== 'members') return [];
  if (path.valueFilter) return filterValues(path.valueFilter);
  return isPlainObject(value) ? [String(value.value)] : values(value);
}

function filterValues(filter: Filter): string[] {
  switch (filter.op) {
    case 'and':
    case 'or':
      return [...filterValues(filter.left), ...filterValues(filter.right)];
    case 'not':
    case 'valuePath':
    case 'pr':
      return [];
    default:
      return typeof filter.value === 'string' ? [filter.value] : [];
  }
}

function tooManyMembers(count: number) {
  return invalidValue(
    `The request names ${count} or more group members; at most ${limits.maxMembersPerRequest} (maxMembersPerRequest) are accepted per request: send the rest in further requests`,
  );
}

function normaliseOperation(type: ResourceTypeName, raw: unknown, index: number): PatchOperation[] {
  const where = `Operations[${index}]`;
  if (!isPlainObject(raw)) throw invalidSyntax(`${where} must be an object`);
  const opText = valueOfKey(raw, 'op');
  const op = typeof opText === 'string' ? opText.toLowerCase() : undefined;
  if (op !== 'add' && op !== 'remove' && op !== 'replace') {
    throw invalidSyntax(`${where}.op must be one of add, remove, replace`);
  }
  const pathText = valueOfKey(raw, 'path');
  const hasValue = Object.keys(raw).some((k) => sameName(k, 'value'));
  const value = valueOfKey(raw, 'value');

  if (pathText === undefined || pathText === null) {
    if (op === 'remove') throw noTarget(`${where}: remove requires a path`);
    if (!isPlainObject(value)) throw invalidValue(`${where}: an operation without a path needs an object value`);
    return pathlessOperations(type, op, value);
  }
  if (typeof pathText !== 'string' || pathText.trim() === '') throw invalidPath(`${where}.path must be a string`);
  const extension = extensionSchemas(type).find((schema) => sameName(schema.id, pathText.trim()));
  if (extension) return wholeExtensionOperations(type, op, extension, hasValue, value, where);
  const target = canonicalPath(type, pathText);
  // Checked before the value is read: a readOnly value would otherwise normalise to nothing and pass silently (T33).
  if (target.def.mutability === 'readOnly' || target.sub?.mutability === 'readOnly') {
    throw mutability(`Attribute '${target.label}' is readOnly`);
  }

  if (op === 'remove') {
    const removal: PatchOperation = { op, path: target.path };
    // Entra's default member removal names the members in `value` (research G6); ignoring it would empty the group.
    if (hasValue && value !== null && target.def.multiValued && !target.path.valueFilter && !target.sub) {
      removal.value = normaliseValue(target.def, value, target.label, 'patch');
    }
    return [removal];
  }
  if (!hasValue) throw invalidSyntax(`${where}: ${op} requires a value`);
  const clearedSubs: string[] = [];
  const normalised = normaliseTargetValue(target, value, (sub) => clearedSubs.push(sub));
  const operations: PatchOperation[] = [];
  if (normalised !== undefined) operations.push({ op, path: target.path, value: normalised });
  else if (clearsWholeAttribute(target.sub ?? target.def, value)) operations.push({ op: 'remove', path: target.path });
  for (const subAttribute of clearedSubs) {
    operations.push({ op: 'remove', path: { attribute: { ...target.path.attribute, subAttribute } } });
  }
  return operations;
}

function pathlessOperations(type: ResourceTypeName, op: PatchOp, value: Record<string, unknown>): PatchOperation[] {
  const { attributes, cleared, id } = normaliseAttributes(type, value, 'patch');
  const operations: PatchOperation[] = [];
  if (Object.keys(attributes).length > 0 || id !== undefined) {
    operations.push({ op, value: attributes, ...(id === undefined ? {} : { expectId: id }) });
  }
  for (const attribute of cleared) operations.push({ op: 'remove', path: { attribute } });
  return operations;
}

/**
 * A path that is an extension's schema URN targets the extension as one complex value, as scim2-tester's PATCH checks
 * send it. RFC 7644's PATH grammar has no such form, but it can mean nothing else: `add` and `replace` act as a
 * pathless operation with the value under the URN, and `remove` removes every attribute of the extension.
 */
function wholeExtensionOperations(
  type: ResourceTypeName,
  op: PatchOp,
  extension: SchemaDefinition,
  hasValue: boolean,
  value: unknown,
  where: string,
): PatchOperation[] {
  if (op === 'remove') {
    return extension.attributes
      .filter((def) => def.mutability !== 'readOnly')
      .map((def) => ({ op, path: { attribute: { schema: extension.id, attribute: def.name } } }));
  }
  if (!hasValue) throw invalidSyntax(`${where}: ${op} requires a value`);
  if (value === null) return wholeExtensionOperations(type, 'remove', extension, false, undefined, where);
  if (!isPlainObject(value)) throw invalidValue(`${where}: the value of '${extension.id}' must be an object`);
  return pathlessOperations(type, op, { [extension.id]: value });
}

interface Target {
  path: PatchPath;
  def: AttributeDefinition;
  /** The sub-attribute addressed, by `name.givenName` or by `emails[type eq "work"].value`. */
  sub?: AttributeDefinition;
  label: string;
}

function canonicalPath(type: ResourceTypeName, text: string): Target {
  const parsed = parsePatchPath(text);
  const { schema, attribute: name, subAttribute: dotted } = parsed.attribute;
  const found = locateAttribute(type, schema === undefined ? { attribute: name } : { schema, attribute: name });
  if (!found) throw invalidPath(`Unknown attribute in path '${text}'`);
  const def = found.definition;
  if (dotted !== undefined && parsed.subAttribute !== undefined) {
    throw invalidPath(`Path '${text}' names two sub-attributes`);
  }
  const subName = dotted ?? parsed.subAttribute;
  const sub = subName === undefined ? undefined : def.subAttributes?.find((s) => sameName(s.name, subName));
  if (subName !== undefined && !sub) throw invalidPath(`Unknown sub-attribute in path '${text}'`);

  const attribute: AttributePath = found.extension
    ? { schema: found.extension, attribute: def.name }
    : { attribute: def.name };
  if (sub && dotted !== undefined) attribute.subAttribute = sub.name;
  const path: PatchPath = { attribute };
  if (parsed.valueFilter) path.valueFilter = parsed.valueFilter;
  if (sub && parsed.subAttribute !== undefined) path.subAttribute = sub.name;
  const label = found.extension ? `${found.extension}:${def.name}` : def.name;
  return sub ? { path, def, sub, label: `${label}.${sub.name}` } : { path, def, label };
}

/** The canonical value for an add/replace target, or undefined when it carries no value. */
function normaliseTargetValue(target: Target, value: unknown, onClearedSub: (sub: string) => void): unknown {
  const { def, sub, label } = target;
  if (sub) return normaliseValue(sub, value, label, 'patch');
  if (target.path.valueFilter && def.multiValued) {
    const element = Array.isArray(value) && value.length === 1 ? value[0] : value;
    const normalised = normaliseValue({ ...def, multiValued: false }, element, label, 'patch');
    return isMember(def) && normalised ? toMembers([normalised], label)[0] : normalised;
  }
  return normaliseValue(def, value, label, 'patch', onClearedSub);
}

type Mode = 'resource' | 'patch';

interface Normalised {
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
function normaliseAttributes(type: ResourceTypeName, body: Record<string, unknown>, mode: Mode): Normalised {
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

/** The canonical value of one attribute, or undefined for "no value"; idempotent on canonical values. */
export function canonicalValue(def: AttributeDefinition, raw: unknown, label: string): unknown {
  return normaliseValue(def, raw, label, 'patch');
}

/**
 * The canonical value of one attribute, or undefined for "no value". `onClearedSub` hears about sub-attributes of a
 * single-valued complex value given as `null`/`""`, so a PATCH can remove them.
 */
function normaliseValue(
  def: AttributeDefinition,
  raw: unknown,
  label: string,
  mode: Mode = 'resource',
  onClearedSub?: (subAttribute: string) => void,
): unknown {
  if (raw === null || raw === undefined) return undefined;
  if (!def.multiValued) return normaliseSingle(def, raw, label, mode, onClearedSub);
  const list = Array.isArray(raw) ? raw : def.type === 'complex' && isPlainObject(raw) ? [raw] : undefined;
  if (!list) throw invalidValue(`Attribute '${label}' must be an array`);
  // Counted before any element is read, so an oversized list costs nothing beyond its parsing.
  if (isMember(def) && list.length > limits.maxMembersPerRequest) throw tooManyMembers(list.length);
  if (def.maxValues !== undefined && list.length > def.maxValues) throw tooManyValues(def, label, list.length);
  const elements = list.map((element, i) => normaliseSingle(def, element, `${label}[${i}]`, mode));
  return isMember(def) ? toMembers(elements, label) : elements.filter((element) => element !== undefined);
}

function normaliseSingle(
  def: AttributeDefinition,
  raw: unknown,
  label: string,
  mode: Mode,
  onClearedSub?: (subAttribute: string) => void,
): unknown {
  if (raw === null || raw === undefined) return undefined;
  switch (def.type) {
    case 'string':
    case 'reference':
      if (typeof raw !== 'string') throw wrongType(label, 'a string');
      return raw === '' ? undefined : raw;
    case 'dateTime':
      if (typeof raw !== 'string' || (raw !== '' && Number.isNaN(Date.parse(raw)))) {
        throw wrongType(label, 'a dateTime string');
      }
      return raw === '' ? undefined : raw;
    case 'boolean':
      return toBoolean(raw, label);
    case 'integer':
      if (typeof raw !== 'number' || !Number.isInteger(raw)) throw wrongType(label, 'an integer');
      return raw;
    case 'decimal':
      if (typeof raw !== 'number' || !Number.isFinite(raw)) throw wrongType(label, 'a number');
      return raw;
    case 'complex':
      return normaliseComplex(def, raw, label, mode, onClearedSub);
  }
}

function normaliseComplex(
  def: AttributeDefinition,
  raw: unknown,
  label: string,
  mode: Mode,
  onClearedSub?: (subAttribute: string) => void,
): Record<string, unknown> | undefined {
  const valueDef = def.subAttributes?.find((s) => s.name === 'value');
  // Entra sends `manager` as a bare id string (research 1.4, T27).
  if (typeof raw === 'string' && !def.multiValued && valueDef) return raw === '' ? undefined : { value: raw };
  // The legacy Entra manager update wraps the single value in an array (research 1.4).
  if (Array.isArray(raw) && !def.multiValued) {
    if (raw.length === 0) return undefined;
    if (raw.length > 1) throw wrongType(label, 'a single value, not a list');
    return normaliseComplex(def, raw[0], label, mode, onClearedSub);
  }
  if (!isPlainObject(raw)) throw wrongType(label, 'an object');
  const out: Record<string, unknown> = {};
  for (const [key, subRaw] of Object.entries(raw)) {
    const sub = subAttributeNamed(def, key);
    if (!sub || sub.mutability === 'readOnly') continue;
    const value = normaliseValue(sub, subRaw, `${label}.${sub.name}`, mode);
    if (value === undefined) onClearedSub?.(sub.name);
    else out[sub.name] = value;
  }
  if (def.name === 'roles' && def.multiValued) unpackEntraRole(out);
  return Object.keys(out).length === 0 ? undefined : out;
}

/**
 * Entra's `AppRoleAssignmentsComplex` PATCH sends each role as a JSON string in `value`
 * (`{"id":"…","value":"25","displayName":"Role1234"}`, research 1.4, T28) while its POST sends real objects. The app
 * role's `value` becomes the role's `value` (what tokens carry, as in the POST form) and `displayName` its `display`;
 * the app role `id` is not kept, the schema has no place for it.
 */
function unpackEntraRole(role: Record<string, unknown>): void {
  if (typeof role.value !== 'string' || !role.value.trimStart().startsWith('{')) return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(role.value);
  } catch {
    return;
  }
  if (!isPlainObject(parsed)) return;
  const value = parsed.value ?? parsed.id;
  if (typeof value === 'string' || typeof value === 'number') role.value = String(value);
  const display = parsed.displayName ?? parsed.display;
  if (role.display === undefined && typeof display === 'string' && display !== '') role.display = display;
  if (role.type === undefined && typeof parsed.type === 'string' && parsed.type !== '') role.type = parsed.type;
  if (role.primary === undefined && parsed.primary !== undefined && parsed.primary !== null) {
    role.primary = toBoolean(parsed.primary, 'roles.primary');
  }
}

/** Group members keep only `value` and `type` (display and `$ref` are derived on output); duplicates collapse. */
export function toMembers(elements: unknown[], label: string): StoredMember[] {
  const byValue = new Map<string, StoredMember>();
  elements.forEach((element, i) => {
    const { value, type } = isPlainObject(element) ? element : {};
    if (typeof value !== 'string') throw invalidValue(`Attribute '${label}[${i}].value' is required`);
    const member: StoredMember = { value };
    if (type !== undefined) {
      const canonical = (['User', 'Group'] as const).find((t) => sameName(t, String(type)));
      if (!canonical) throw invalidValue(`Attribute '${label}[${i}].type' must be 'User' or 'Group'`);
      member.type = canonical;
    }
    if (!byValue.has(value)) byValue.set(value, member);
  });
  return [...byValue.values()];
}

/**
 * RFC 7643 section 2.4: at most one element of a multi-valued attribute is `primary`. Also rejects two elements with
 * the same `type` where the schema lists canonical types (emails, phoneNumbers, photos, addresses: Entra promises
 * unique types and T37 wants a 400); roles and entitlements are exempt, Entra sends one `type` for all roles, and so
 * are Group members, whose `type` says User or Group and is shared by most of them.
 */
export function assertMultiValuedRules(type: ResourceTypeName, attributes: Record<string, unknown>): void {
  for (const def of coreSchema(type).attributes) {
    const elements = attributes[def.name];
    if (!def.multiValued || def.type !== 'complex' || !Array.isArray(elements)) continue;
    const primaries = elements.filter((e) => isPlainObject(e) && e.primary === true);
    if (primaries.length > 1) throw invalidValue(`Attribute '${def.name}' has more than one primary value`);
    const typeDef = def.subAttributes?.find((s) => s.name === 'type');
    if (!typeDef?.canonicalValues || isMember(def)) continue;
    const seen = new Set<string>();
    for (const element of elements) {
      const label = isPlainObject(element) && typeof element.type === 'string' ? element.type.toLowerCase() : undefined;
      if (label === undefined) continue;
      if (seen.has(label)) throw invalidValue(`Attribute '${def.name}' has more than one value of type '${label}'`);
      seen.add(label);
    }
  }
}

/** `null`, `""` or an empty single value clear an attribute; a complex value whose sub-attributes are all cleared does not. */
function clearsWholeAttribute(def: AttributeDefinition, raw: unknown): boolean {
  return raw === null || raw === '' || (Array.isArray(raw) && raw.length === 0 && !def.multiValued);
}

function toBoolean(raw: unknown, label: string): boolean {
  const value = parseBoolean(raw);
  if (value === undefined) throw wrongType(label, 'a boolean');
  return value;
}

/** More values than a multi-valued attribute may hold (the CRD would refuse them too). */
export function tooManyValues(def: AttributeDefinition, label: string, count: number) {
  return invalidValue(
    `Attribute '${label}' has ${count} values; at most ${def.maxValues} (maxValuesPerAttribute) are accepted`,
  );
}

function wrongType(label: string, expected: string) {
  return invalidValue(`Attribute '${label}' must be ${expected}`);
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

export function coreSchema(type: ResourceTypeName): SchemaDefinition {
  return schemaById(resourceType(type).schema)!;
}

export function extensionSchemas(type: ResourceTypeName): SchemaDefinition[] {
  return resourceType(type).schemaExtensions.map((e) => schemaById(e.schema)!);
}

export function isMember(def: AttributeDefinition): boolean {
  return def.name === 'members' && def.multiValued && def.type === 'complex';
}

const subAttributeIndexes = new WeakMap<AttributeDefinition, Map<string, AttributeDefinition>>();

/** The sub-attribute of `def` called `name`, in any case; looked up once per element of every value normalised. */
function subAttributeNamed(def: AttributeDefinition, name: string): AttributeDefinition | undefined {
  let index = subAttributeIndexes.get(def);
  if (!index) {
    index = new Map((def.subAttributes ?? []).map((sub) => [sub.name.toLowerCase(), sub]));
    subAttributeIndexes.set(def, index);
  }
  return index.get(name.toLowerCase());
}

/** Attribute names and keywords compare case-insensitively (RFC 7643 section 2.1). */
export function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function valueOfKey(object: Record<string, unknown>, name: string): unknown {
  const key = Object.keys(object).find((k) => sameName(k, name));
  return key === undefined ? undefined : object[key];
}

/** The object under `key`, created empty when absent. */
export function objectAt(container: Record<string, unknown>, key: string): Record<string, unknown> {
  const existing = container[key];
  if (isPlainObject(existing)) return existing;
  const created: Record<string, unknown> = {};
  container[key] = created;
  return created;
}
