/**
 * The SCIM filter parser (RFC 7644 section 3.4.2.2): text to the AST of `filter.ts`.
 *
 * Accepted beyond the RFC, because identity providers send it: keywords, operators and attribute names in any case;
 * any amount of whitespace between tokens; bare words as values (Entra's `externalId eq jyoung`), read as a number,
 * boolean or null when they spell one and as a string otherwise; unknown backslash escapes kept literally
 * (`"DOMAIN\jdoe"`).
 */

import type { AttributePath } from './attribute-path.ts';
import { ATTRIBUTE_NAME, canonicalAttributePath, splitAttributePath } from './attribute-path.ts';
import { excerpt, invalidFilter } from './errors.ts';
import type { CompareOp, Filter, FilterValue } from './filter.ts';
import { limits } from './schemas.ts';

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
