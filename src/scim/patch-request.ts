/**
 * The PATCH request normaliser (RFC 7644 section 3.5.2): turns a PatchOp body from Entra ID, Okta and other clients
 * into canonical operations for `applyPatch`.
 */

import { sameName } from './attribute-path.ts';
import { invalidPath, invalidSyntax, invalidValue, noTarget, tooMany } from './errors.ts';
import { isPlainObject } from './json-values.ts';
import { normaliseAttributes } from './normalise-resource.ts';
import { clearsWholeAttribute, normaliseValue, toMembers, tooManyMembers } from './normalise-value.ts';
import { memberIdsOf, PATCH_OP_SCHEMA, type PatchOp, type PatchOperation } from './patch-operation.ts';
import { assertWritable, type PatchTarget, parsePatchPath, resolvePatchTarget, targetLabel } from './patch-path.ts';
import { extensionSchemas, isMember } from './schema-lookup.ts';
import type { ResourceTypeName, SchemaDefinition } from './schemas.ts';
import { limits } from './schemas.ts';

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
  const target = resolvePatchTarget(type, parsePatchPath(pathText), pathText);
  // Checked before the value is read: a readOnly value would otherwise normalise to nothing and pass silently.
  assertWritable(target);

  if (op === 'remove') {
    const removal: PatchOperation = { op, path: target.path };
    // Entra's default member removal, `Remove path=members value [{"value":"u1"}]`, names the members in `value`;
    // ignoring it would empty the group.
    if (hasValue && value !== null && target.def.multiValued && !target.path.valueFilter && !target.sub) {
      removal.value = normaliseValue(target.def, value, targetLabel(target), 'patch');
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

/** The canonical value for an add/replace target, or undefined when it carries no value. */
function normaliseTargetValue(target: PatchTarget, value: unknown, onClearedSub: (sub: string) => void): unknown {
  const { def, sub } = target;
  const label = targetLabel(target);
  if (sub) return normaliseValue(sub, value, label, 'patch');
  if (target.path.valueFilter && def.multiValued) {
    const element = Array.isArray(value) && value.length === 1 ? value[0] : value;
    const normalised = normaliseValue({ ...def, multiValued: false }, element, label, 'patch');
    return isMember(def) && normalised ? toMembers([normalised], label)[0] : normalised;
  }
  return normaliseValue(def, value, label, 'patch', onClearedSub);
}

function valueOfKey(object: Record<string, unknown>, name: string): unknown {
  const key = Object.keys(object).find((k) => sameName(k, name));
  return key === undefined ? undefined : object[key];
}
