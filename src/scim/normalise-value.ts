/**
 * The canonical value of one attribute (RFC 7643 section 2): the JSON type its definition asks for, no `null`, `""`
 * or empty complex values (section 2.5 treats them as unassigned), booleans as JSON booleans, Group members as
 * `{ value, type? }`. Lenient where identity providers deviate unambiguously, strict about types otherwise.
 */

import { sameName } from './attribute-path.ts';
import { invalidValue } from './errors.ts';
import { isPlainObject, parseBoolean } from './json-values.ts';
import { coreSchema, isMember } from './schema-lookup.ts';
import type { AttributeDefinition, ResourceTypeName } from './schemas.ts';
import { limits } from './schemas.ts';
import type { StoredMember } from './store.ts';

/** `resource` for a POST or PUT body, `patch` for a PATCH value: the two differ on unknown and readOnly attributes. */
export type Mode = 'resource' | 'patch';

/** The canonical value of one attribute, or undefined for "no value"; idempotent on canonical values. */
export function canonicalValue(def: AttributeDefinition, raw: unknown, label: string): unknown {
  return normaliseValue(def, raw, label, 'patch');
}

/**
 * The canonical value of one attribute, or undefined for "no value". `onClearedSub` hears about sub-attributes of a
 * single-valued complex value given as `null`/`""`, so a PATCH can remove them.
 */
export function normaliseValue(
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
  // Entra sends `manager` as a bare id string in `add path=urn:...:enterprise:2.0:User:manager`.
  if (typeof raw === 'string' && !def.multiValued && valueDef) return raw === '' ? undefined : { value: raw };
  // Entra's older manager update, `path manager value [{"$ref":...,"value":...}]`, wraps the value in an array.
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
 * (`{"id":"…","value":"25","displayName":"Role1234"}`) while its POST sends real objects. The app
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
 * unique types, so two `work` emails are a client error); roles and entitlements are exempt, Entra sends one `type` for all roles, and so
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
export function clearsWholeAttribute(def: AttributeDefinition, raw: unknown): boolean {
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

/** More member values or member filter terms than one request may name. */
export function tooManyMembers(count: number) {
  return invalidValue(
    `The request names ${count} or more group members; at most ${limits.maxMembersPerRequest} (maxMembersPerRequest) are accepted per request: send the rest in further requests`,
  );
}

function wrongType(label: string, expected: string) {
  return invalidValue(`Attribute '${label}' must be ${expected}`);
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
