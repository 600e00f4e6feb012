/**
 * SCIM filters (RFC 7644 section 3.4.2.2): `parseFilter` turns text into an AST, `matchesFilter` evaluates it against a
 * resource document with the registry's case rules, and `planQuery` derives the index lookup a store can answer.
 *
 * Accepted beyond the RFC, because identity providers send it: keywords, operators and attribute names in any case;
 * any amount of whitespace between tokens; bare words as values (Entra's `externalId eq jyoung`), read as a number,
 * boolean or null when they spell one and as a string otherwise; unknown backslash escapes kept literally
 * (`"DOMAIN\jdoe"`); the strings "true"/"false" compared with boolean attributes (Entra's `roles[primary eq "True"]`).
 */

import type { AttributePath } from './attribute-path.ts';
import {
  ATTRIBUTE_NAME,
  canonicalAttributePath,
  findAttribute,
  formatAttributePath,
  locateAttribute,
  splitAttributePath,
} from './attribute-path.ts';
import { excerpt, invalidFilter } from './errors.ts';
import { isPlainObject, parseBoolean } from './json-values.ts';
import { isResourceId } from './resource-id.ts';
import type { AttributeDefinition, ResourceTypeName } from './schemas.ts';
import { limits } from './schemas.ts';
import type { IndexedAttribute, QueryPlan } from './store.ts';

export type CompareOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';
export type FilterValue = string | number | boolean | null;

/**
 * A parsed filter. Paths inside a `valuePath` filter are relative to one element of the outer attribute: `type` in
 * `emails[type eq "work"]`. A value path followed by a sub-attribute, `emails[type eq "work"].value eq "x"`, becomes a
 * `valuePath` whose filter is `type eq "work" and value eq "x"`: both must hold for the same element, which is what
 * the RFC means by it.
 */
export type Filter =
  | { op: 'and' | 'or'; left: Filter; right: Filter }
  | { op: 'not'; filter: Filter }
  | { op: 'pr'; path: AttributePath }
  | { op: CompareOp; path: AttributePath; value: FilterValue }
  | { op: 'valuePath'; path: AttributePath; filter: Filter };

export interface ParseFilterOptions {
  /** Longest filter accepted, in characters; defaults to `limits.maxFilterLength`. */
  maxLength?: number;
  /** Deepest nesting of parentheses and brackets accepted; defaults to `limits.maxFilterDepth`. */
  maxDepth?: number;
  /** Most comparisons and `pr` tests accepted; defaults to `limits.maxFilterTerms`. */
  maxTerms?: number;
}

const COMPARE_OPS: readonly string[] = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'] satisfies CompareOp[];
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:e[+-]?\d+)?$/i;
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

type TokenKind = '(' | ')' | '[' | ']' | 'string' | 'word' | 'end';

interface Token {
  kind: TokenKind;
  text: string;
  /** Offset of the first character; messages report it 1-based. */
  start: number;
  end: number;
  /** The decoded value of a string token. */
  value?: string;
}

/**
 * Parses a filter. Throws `invalidFilter` naming what was expected at which position (1-based), and also when the
 * text is longer than `maxLength`, nests deeper than `maxDepth` or has more than `maxTerms` terms, so that evaluating
 * it against one resource costs a bounded amount of work. Parsing is linear in the length of the text.
 */
export function parseFilter(text: string, options: ParseFilterOptions = {}): Filter {
  const maxLength = options.maxLength ?? limits.maxFilterLength;
  if (text.length > maxLength) {
    throw invalidFilter(`Filter is ${text.length} characters long; at most ${maxLength} are accepted`);
  }
  if (text.trim() === '') throw invalidFilter('Filter is empty');
  const parser = new FilterParser(
    tokenize(text),
    options.maxDepth ?? limits.maxFilterDepth,
    options.maxTerms ?? limits.maxFilterTerms,
  );
  return parser.parse();
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')' || c === '[' || c === ']') {
      tokens.push({ kind: c, text: c, start: i, end: i + 1 });
      i++;
    } else if (c === '"') {
      const token = readString(text, i);
      tokens.push(token);
      i = token.end;
    } else {
      let end = i;
      while (end < text.length && !/[\s()[\]"]/.test(text[end]!)) end++;
      tokens.push({ kind: 'word', text: text.slice(i, end), start: i, end });
      i = end;
    }
  }
  tokens.push({ kind: 'end', text: '', start: text.length, end: text.length });
  return tokens;
}

function readString(text: string, start: number): Token {
  let value = '';
  let i = start + 1;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') return { kind: 'string', text: text.slice(start, i + 1), start, end: i + 1, value };
    if (c !== '\\' || i + 1 >= text.length) {
      value += c;
      i++;
      continue;
    }
    const next = text[i + 1]!;
    const hex = text.slice(i + 2, i + 6);
    if (next === 'u' && /^[0-9a-f]{4}$/i.test(hex)) {
      value += String.fromCharCode(Number.parseInt(hex, 16));
      i += 6;
    } else {
      value += ESCAPES[next] ?? `\\${next}`;
      i += 2;
    }
  }
  throw invalidFilter(`Expected a closing '"' for the string that starts at position ${start + 1}`);
}

class FilterParser {
  readonly tokens: Token[];
  readonly maxDepth: number;
  readonly maxTerms: number;
  index = 0;
  depth = 0;
  terms = 0;

  constructor(tokens: Token[], maxDepth: number, maxTerms: number) {
    this.tokens = tokens;
    this.maxDepth = maxDepth;
    this.maxTerms = maxTerms;
  }

  parse(): Filter {
    const filter = this.parseOr(undefined);
    this.expect('end', "'and', 'or' or the end of the filter");
    return filter;
  }

  /** `parent` is the attribute whose elements a value filter tests; undefined at the top level. */
  private parseOr(parent: AttributePath | undefined): Filter {
    let left = this.parseAnd(parent);
    while (this.atKeyword('or')) {
      this.index++;
      left = { op: 'or', left, right: this.parseAnd(parent) };
    }
    return left;
  }

  private parseAnd(parent: AttributePath | undefined): Filter {
    let left = this.parseUnary(parent);
    while (this.atKeyword('and')) {
      this.index++;
      left = { op: 'and', left, right: this.parseUnary(parent) };
    }
    return left;
  }

  private parseUnary(parent: AttributePath | undefined): Filter {
    if (this.atKeyword('not')) {
      this.index++;
      return { op: 'not', filter: this.parseGroup(parent, "'(' after 'not'") };
    }
    if (this.peek().kind === '(') return this.parseGroup(parent, "'('");
    return this.parseAttributeExpression(parent);
  }

  private parseGroup(parent: AttributePath | undefined, expected: string): Filter {
    const open = this.expect('(', expected);
    this.enter(open);
    const filter = this.parseOr(parent);
    this.expect(')', "'and', 'or' or ')'");
    this.depth--;
    return filter;
  }

  private parseAttributeExpression(parent: AttributePath | undefined): Filter {
    const pathToken = this.expect('word', 'an attribute path');
    const path = this.attributePath(pathToken, parent);
    if (this.peek().kind !== '[') return this.parseCondition(path, pathToken);

    const open = this.next();
    if (parent) throw invalidFilter(`Value filters cannot be nested: unexpected '[' at position ${open.start + 1}`);
    if (path.subAttribute !== undefined) {
      throw invalidFilter(
        `A value filter applies to an attribute, not to the sub-attribute '${pathToken.text}' (position ${open.start + 1})`,
      );
    }
    this.enter(open);
    const filter = this.parseOr(path);
    const close = this.expect(']', "'and', 'or' or ']'");
    this.depth--;

    const after = this.peek();
    if (after.kind !== 'word' || after.start !== close.end || !after.text.startsWith('.')) {
      return { op: 'valuePath', path, filter };
    }
    this.index++;
    const name = after.text.slice(1);
    if (!ATTRIBUTE_NAME.test(name)) {
      throw invalidFilter(`Expected a sub-attribute name after ']' at position ${after.start + 2}, found '${name}'`);
    }
    const subPath = canonicalAttributePath({ attribute: name }, path);
    return { op: 'valuePath', path, filter: { op: 'and', left: filter, right: this.parseCondition(subPath, after) } };
  }

  private parseCondition(path: AttributePath, pathToken: Token): Filter {
    if (++this.terms > this.maxTerms) {
      throw invalidFilter(
        `Filter has more than ${this.maxTerms} comparisons (maxFilterTerms) at position ${pathToken.start + 1}`,
      );
    }
    const opToken = this.next();
    const op = opToken.kind === 'word' ? opToken.text.toLowerCase() : '';
    if (op === 'pr') return { op: 'pr', path };
    if (!isCompareOp(op)) {
      throw this.unexpected(
        opToken,
        `a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le) or 'pr' after '${pathToken.text}'`,
      );
    }
    return { op, path, value: this.literal(this.next()) };
  }

  private literal(token: Token): FilterValue {
    if (token.kind === 'string') return token.value!;
    if (token.kind !== 'word') throw this.unexpected(token, 'a value (a string, number, true, false or null)');
    const lower = token.text.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
    if (lower === 'null') return null;
    if (JSON_NUMBER.test(token.text)) return Number(token.text);
    return token.text;
  }

  private attributePath(token: Token, parent: AttributePath | undefined): AttributePath {
    const split = splitAttributePath(token.text);
    if (!split.ok) throw this.unexpected(token, `an attribute path (${split.reason})`);
    return canonicalAttributePath(split.path, parent);
  }

  private enter(token: Token): void {
    if (++this.depth > this.maxDepth) {
      throw invalidFilter(`Filter nests deeper than ${this.maxDepth} levels at position ${token.start + 1}`);
    }
  }

  private atKeyword(keyword: string): boolean {
    const token = this.peek();
    return token.kind === 'word' && token.text.toLowerCase() === keyword;
  }

  private peek(): Token {
    return this.tokens[this.index]!;
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'end') this.index++;
    return token;
  }

  private expect(kind: TokenKind, expected: string): Token {
    const token = this.next();
    if (token.kind !== kind) throw this.unexpected(token, expected);
    return token;
  }

  private unexpected(token: Token, expected: string) {
    const found = token.kind === 'end' ? 'the end of the filter' : `'${excerpt(token.text)}'`;
    return invalidFilter(`Expected ${expected} at position ${token.start + 1}, found ${found}`);
  }
}

function isCompareOp(op: string): op is CompareOp {
  return COMPARE_OPS.includes(op);
}

// ---- Evaluation ----

/** What a path selects in a document: the attribute's definition and its values, multi-valued ones spread out. */
interface Selection {
  definition: AttributeDefinition;
  values: unknown[];
}

/** Resolves a path against a document; undefined when the attribute is unknown in that scope. */
type Scope = (path: AttributePath, document: Record<string, unknown>) => Selection | undefined;

/**
 * Whether `resource`, a full SCIM document of `type`, matches `filter`. Strings compare case-insensitively unless the
 * attribute is `caseExact`; a comparison on a multi-valued attribute holds when it holds for any element; a complex
 * attribute without sub-attribute compares its `value` (`emails eq "x"`, `manager eq "id"`); `ne` holds for an absent
 * attribute; `eq null` means absent. Unknown attributes never match. Throws `invalidFilter` when an operator does not
 * apply to the attribute's type (`gt` on a boolean, `co` on a dateTime).
 */
export function matchesFilter(filter: Filter, resource: Record<string, unknown>, type: ResourceTypeName): boolean {
  return evaluate(filter, resource, resourceScope(type));
}

function evaluate(filter: Filter, document: Record<string, unknown>, scope: Scope): boolean {
  switch (filter.op) {
    case 'and':
      return evaluate(filter.left, document, scope) && evaluate(filter.right, document, scope);
    case 'or':
      return evaluate(filter.left, document, scope) || evaluate(filter.right, document, scope);
    case 'not':
      return !evaluate(filter.filter, document, scope);
    case 'pr':
      return scope(filter.path, document)?.values.some(isPresent) ?? false;
    case 'valuePath': {
      const selection = scope(filter.path, document);
      if (selection?.definition.type !== 'complex') return false;
      const inner = elementScope(selection.definition);
      return selection.values.some((element) => isPlainObject(element) && evaluate(filter.filter, element, inner));
    }
    default: {
      const selection = compared(scope(filter.path, document));
      if (!selection) return false;
      const test = comparison(filter.op, selection.definition, filter.value, filter.path);
      const present = selection.values.filter(isPresent);
      if (filter.value === null) return filter.op === 'eq' ? present.length === 0 : present.length > 0;
      if (filter.op === 'ne') return present.length === 0 || present.some((v) => !test(v));
      return present.some(test);
    }
  }
}

/**
 * Resolved paths, per parsed path: a listing evaluates one filter against every candidate, and resolving against the
 * registry each time cost more than the comparisons.
 */
const located: Record<ResourceTypeName, WeakMap<AttributePath, ReturnType<typeof locateAttribute> | null>> = {
  User: new WeakMap(),
  Group: new WeakMap(),
};

function locate(type: ResourceTypeName, path: AttributePath): ReturnType<typeof locateAttribute> {
  let found = located[type].get(path);
  if (found === undefined) {
    found = locateAttribute(type, path) ?? null;
    located[type].set(path, found);
  }
  return found ?? undefined;
}

function resourceScope(type: ResourceTypeName): Scope {
  return (path, document) => {
    const found = locate(type, path);
    if (!found) return undefined;
    const container = found.extension === undefined ? document : read(document, found.extension);
    const raw = isPlainObject(container) ? read(container, found.definition.name) : undefined;
    const elements = found.definition.multiValued ? (Array.isArray(raw) ? raw : []) : [raw];
    const sub = found.subDefinition;
    if (!sub) return { definition: found.definition, values: elements };
    return { definition: sub, values: elements.map((e) => (isPlainObject(e) ? read(e, sub.name) : undefined)) };
  };
}

function elementScope(parent: AttributeDefinition): Scope {
  return (path, element) => {
    if (path.schema !== undefined || path.subAttribute !== undefined) return undefined;
    const definition = findAttribute(parent.subAttributes ?? [], path.attribute);
    return definition && { definition, values: [read(element, definition.name)] };
  };
}

/** A comparison on a complex attribute compares its `value` sub-attribute, if it has one. */
function compared(selection: Selection | undefined): Selection | undefined {
  if (selection?.definition.type !== 'complex') return selection;
  const value = findAttribute(selection.definition.subAttributes ?? [], 'value');
  if (!value) return undefined;
  return { definition: value, values: selection.values.map((e) => (isPlainObject(e) ? read(e, value.name) : e)) };
}

/**
 * The predicate `actual <op> literal` for one present value (`ne` is tested as not-`eq`). Throws `invalidFilter`
 * when the operator or literal does not fit the attribute's type, whatever the data.
 */
function comparison(
  op: CompareOp,
  definition: AttributeDefinition,
  literal: FilterValue,
  path: AttributePath,
): (actual: unknown) => boolean {
  const reject = (why: string) =>
    invalidFilter(`Operator '${op}' cannot be used on '${formatAttributePath(path)}': ${why}`);
  if (literal === null) {
    if (op !== 'eq' && op !== 'ne') throw reject('only eq and ne compare with null');
    return () => false;
  }
  switch (definition.type) {
    case 'string':
    case 'reference': {
      const fold = definition.caseExact ? (s: string) => s : (s: string) => s.toLowerCase();
      const expected = fold(String(literal));
      return (actual) => typeof actual === 'string' && compareStrings(op, fold(actual), expected);
    }
    case 'boolean': {
      if (op !== 'eq' && op !== 'ne') throw reject('a boolean is only compared with eq or ne');
      const expected = parseBoolean(literal);
      if (expected === undefined) throw reject(`expected true or false, found ${JSON.stringify(literal)}`);
      return (actual) => parseBoolean(actual) === expected;
    }
    case 'dateTime': {
      if (op === 'co' || op === 'sw' || op === 'ew') throw reject('co, sw and ew apply to strings only');
      const expected = typeof literal === 'string' ? Date.parse(literal) : Number.NaN;
      if (Number.isNaN(expected)) throw reject(`expected a dateTime string, found ${JSON.stringify(literal)}`);
      return (actual) => typeof actual === 'string' && compareNumbers(op, Date.parse(actual), expected);
    }
    case 'integer':
    case 'decimal': {
      if (op === 'co' || op === 'sw' || op === 'ew') throw reject('co, sw and ew apply to strings only');
      const expected = typeof literal === 'boolean' ? Number.NaN : Number(literal);
      if (Number.isNaN(expected)) throw reject(`expected a number, found ${JSON.stringify(literal)}`);
      return (actual) => typeof actual === 'number' && compareNumbers(op, actual, expected);
    }
    default:
      return () => false;
  }
}

function compareStrings(op: CompareOp, actual: string, expected: string): boolean {
  switch (op) {
    case 'co':
      return actual.includes(expected);
    case 'sw':
      return actual.startsWith(expected);
    case 'ew':
      return actual.endsWith(expected);
    default:
      return compareOrdered(op, actual < expected ? -1 : actual > expected ? 1 : 0);
  }
}

function compareNumbers(op: CompareOp, actual: number, expected: number): boolean {
  return !Number.isNaN(actual) && compareOrdered(op, actual - expected);
}

function compareOrdered(op: CompareOp, sign: number): boolean {
  switch (op) {
    case 'gt':
      return sign > 0;
    case 'ge':
      return sign >= 0;
    case 'lt':
      return sign < 0;
    case 'le':
      return sign <= 0;
    default:
      return sign === 0;
  }
}

/** RFC 7644: present means a non-empty value, or for a complex attribute a non-empty node. */
function isPresent(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return false;
  if (Array.isArray(value)) return value.some(isPresent);
  if (isPlainObject(value)) return Object.values(value).some(isPresent);
  return true;
}

/**
 * Documents use canonical names; a differently cased key is still found. Absent attributes are the common miss (every
 * term meets every candidate), so the scan compares lengths before it folds case, and allocates nothing.
 */
function read(document: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(document, name)) return document[name];
  let lower: string | undefined;
  for (const key of Object.keys(document)) {
    if (key.length !== name.length) continue;
    lower ??= name.toLowerCase();
    if (key.toLowerCase() === lower) return document[key];
  }
  return undefined;
}

// ---- Query planning ----

const ALL: QueryPlan = { kind: 'all' };
const NONE: QueryPlan = { kind: 'none' };

/**
 * The cheapest store lookup whose result contains every resource `filter` can match; the caller applies
 * `matchesFilter` to the result. An `eq` on an indexed attribute (alone or as an operand of `and`) becomes
 * `{ kind: 'eq' }` with the literal as given; a filter that only tests unknown attributes, or `id eq` something that
 * is not a resource id, becomes `none`; anything else is `all`. Throws `invalidFilter` for operator/type mismatches, so that error does not depend on the data.
 */
export function planQuery(filter: Filter, type: ResourceTypeName): QueryPlan {
  validate(filter, resourceScope(type));
  return plan(filter, type);
}

function plan(filter: Filter, type: ResourceTypeName): QueryPlan {
  switch (filter.op) {
    case 'and': {
      const left = plan(filter.left, type);
      const right = plan(filter.right, type);
      if (left.kind === 'none' || right.kind === 'none') return NONE;
      return left.kind === 'eq' ? left : right;
    }
    case 'or': {
      const left = plan(filter.left, type);
      const right = plan(filter.right, type);
      if (left.kind === 'none') return right;
      return right.kind === 'none' ? left : ALL;
    }
    case 'not':
      return ALL;
    case 'valuePath': {
      const found = locateAttribute(type, filter.path);
      if (!found) return NONE;
      const isEmails = type === 'User' && found.extension === undefined && found.definition.name === 'emails';
      const value = isEmails ? valueEquality(filter.filter) : undefined;
      return value === undefined ? ALL : eqPlan('emails.value', value);
    }
    default: {
      const found = locateAttribute(type, filter.path);
      if (!found) return NONE;
      if (filter.op !== 'eq' || filter.value === null || found.extension !== undefined) return ALL;
      const attribute = indexedAttribute(type, found.definition.name, found.subDefinition?.name);
      // Ids are server-issued UUIDs: `id eq "."` names nothing, and must not reach the store as a name to read.
      if (attribute === 'id' && !isResourceId(filter.value)) return NONE;
      return attribute ? eqPlan(attribute, filter.value) : ALL;
    }
  }
}

function indexedAttribute(type: ResourceTypeName, name: string, sub: string | undefined): IndexedAttribute | undefined {
  if (type === 'User' && name === 'emails' && (sub === undefined || sub === 'value')) return 'emails.value';
  if (sub !== undefined) return undefined;
  if (name === 'id' || name === 'externalId') return name;
  if (type === 'User' && name === 'userName') return 'userName';
  if (type === 'Group' && name === 'displayName') return 'displayName';
  return undefined;
}

/** The literal of a `value eq` that every element matching this value filter satisfies. */
function valueEquality(filter: Filter): string | number | boolean | undefined {
  if (filter.op === 'and') return valueEquality(filter.left) ?? valueEquality(filter.right);
  if (filter.op !== 'eq' || filter.value === null) return undefined;
  const { schema, attribute, subAttribute } = filter.path;
  return schema === undefined && subAttribute === undefined && attribute.toLowerCase() === 'value'
    ? filter.value
    : undefined;
}

function eqPlan(attribute: IndexedAttribute, value: string | number | boolean): QueryPlan {
  return { kind: 'eq', attribute, value: String(value) };
}

function validate(filter: Filter, scope: Scope): void {
  switch (filter.op) {
    case 'and':
    case 'or':
      validate(filter.left, scope);
      validate(filter.right, scope);
      return;
    case 'not':
      validate(filter.filter, scope);
      return;
    case 'pr':
      return;
    case 'valuePath': {
      const selection = scope(filter.path, {});
      if (selection?.definition.type === 'complex') validate(filter.filter, elementScope(selection.definition));
      return;
    }
    default: {
      const selection = compared(scope(filter.path, {}));
      if (selection) comparison(filter.op, selection.definition, filter.value, filter.path);
    }
  }
}
