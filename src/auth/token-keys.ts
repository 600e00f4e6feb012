import type { V1Secret } from '@kubernetes/client-node';

/**
 * The keys of the token Secret, read purely: which key is a usable token of which connection, and what is wrong
 * with the others. A key's connection (the key up to its first dot) becomes the `scim-operator.dev/connection`
 * label of every object written through it, so it must be a valid label value; a key whose connection is not is
 * refused here rather than making every write fail later.
 */

/** 32 random bytes, as `openssl rand -base64 32` or the chart's generated token give. */
export const MIN_ENTROPY_BITS = 256;

const LABEL_VALUE = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

export type TokenProblem =
  | { kind: 'invalid-connection'; key: string; connection: string }
  | { kind: 'weak'; key: string; connection: string; entropyBits: number };

export function connectionOfKey(key: string): string {
  return key.split('.')[0] ?? key;
}

export function isValidConnection(connection: string): boolean {
  return LABEL_VALUE.test(connection);
}

/**
 * An upper bound on a token's entropy: its length times log2 of its alphabet — hex, or the character classes it
 * spans (digits, lower case, upper case, other). A random token reaches it; a word or a pattern is weaker still.
 */
export function estimateEntropyBits(token: string): number {
  // A handful of distinct characters (`aaaa…`, `abab…`) means the token does not draw from any wide alphabet.
  const distinct = new Set(token).size;
  if (distinct < 8) return Math.floor(token.length * Math.log2(Math.max(distinct, 2)));
  if (/^[0-9a-f]+$/i.test(token)) return token.length * 4;
  // Base64 and base64url (what `openssl rand -base64` and the chart generate) draw from 64 symbols, though a given
  // random token may happen to show no digit or no '-'/'_': judging by the classes it shows would call it weak.
  const classes = [/[0-9]/, /[a-z]/, /[A-Z]/].filter((c) => c.test(token)).length;
  if (classes >= 2 && /^(?:[A-Za-z0-9_-]+|[A-Za-z0-9+/]+={0,2})$/.test(token)) return token.length * 6;
  let pool = 0;
  if (/[0-9]/.test(token)) pool += 10;
  if (/[a-z]/.test(token)) pool += 26;
  if (/[A-Z]/.test(token)) pool += 26;
  if (/[^0-9a-zA-Z]/.test(token)) pool += 33;
  return Math.floor(token.length * Math.log2(pool));
}

export function tokensOf(secret: V1Secret | undefined): {
  tokens: { token: string; connection: string }[];
  problems: TokenProblem[];
} {
  const tokens: { token: string; connection: string }[] = [];
  const problems: TokenProblem[] = [];
  for (const [key, value] of Object.entries(secret?.data ?? {})) {
    const token = Buffer.from(value, 'base64').toString('utf8').trim();
    if (token.length === 0) continue;
    const connection = connectionOfKey(key);
    if (!isValidConnection(connection)) {
      problems.push({ kind: 'invalid-connection', key, connection });
      continue;
    }
    const entropyBits = estimateEntropyBits(token);
    if (entropyBits < MIN_ENTROPY_BITS) problems.push({ kind: 'weak', key, connection, entropyBits });
    tokens.push({ token, connection });
  }
  return { tokens, problems };
}
