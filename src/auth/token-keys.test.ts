import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { estimateEntropyBits, isValidConnection, MIN_ENTROPY_BITS, tokensOf } from './token-keys.ts';

const secretOf = (data: Record<string, string>) => ({
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
});

describe('token keys', () => {
  it('gives each key its connection, the key up to the first dot', () => {
    const token = randomBytes(32).toString('base64url');
    const { tokens } = tokensOf(secretOf({ entra: token, 'entra.2026-11': `${token}x`, okta: `${token}y` }));
    expect(tokens.map((t) => t.connection)).toEqual(['entra', 'entra', 'okta']);
  });

  it('skips empty values', () => {
    expect(tokensOf(secretOf({ entra: '  \n' }))).toEqual({ tokens: [], problems: [] });
  });

  it('accepts a 32-byte random token that happens to hold no digit and no - or _', () => {
    expect(tokensOf(secretOf({ a: 'AbCdEfGhIjKlMnOpQrStUvWxYzaBcDeFgHiJkLmNoPq' })).problems).toEqual([]);
  });

  it('accepts a 32-byte random token, in base64url or hex, without a warning', () => {
    for (let i = 0; i < 50; i++) {
      const { problems } = tokensOf(
        secretOf({ a: randomBytes(32).toString('base64url'), b: randomBytes(32).toString('hex') }),
      );
      expect(problems).toEqual([]);
    }
  });

  it('accepts a short token but reports it as weak with its estimated entropy', () => {
    const { tokens, problems } = tokensOf(secretOf({ 'entra.old': 'changeme' }));
    expect(tokens).toEqual([{ token: 'changeme', connection: 'entra' }]);
    expect(problems).toEqual([{ kind: 'weak', key: 'entra.old', connection: 'entra', entropyBits: 22 }]);
  });

  it('rates a long token of few distinct characters as weak', () => {
    expect(estimateEntropyBits('ab'.repeat(100))).toBeLessThan(MIN_ENTROPY_BITS);
    expect(estimateEntropyBits(randomBytes(16).toString('hex'))).toBeLessThan(MIN_ENTROPY_BITS);
  });

  it('refuses a key whose connection is not a valid label value, and keeps the others', () => {
    const good = randomBytes(32).toString('base64url');
    const { tokens, problems } = tokensOf(
      secretOf({ _entra: good, 'okta-': good, [`${'x'.repeat(64)}`]: good, ok: good }),
    );
    expect(tokens).toEqual([{ token: good, connection: 'ok' }]);
    expect(problems.map((p) => [p.kind, p.key])).toEqual([
      ['invalid-connection', '_entra'],
      ['invalid-connection', 'okta-'],
      ['invalid-connection', 'x'.repeat(64)],
    ]);
  });

  it('takes as a label value what Kubernetes takes', () => {
    for (const valid of ['a', 'entra', 'Entra_ID-2', 'a'.repeat(63)]) expect(isValidConnection(valid)).toBe(true);
    for (const invalid of ['', '-a', 'a-', '_a', 'a b', 'é', 'a'.repeat(64)])
      expect(isValidConnection(invalid)).toBe(false);
  });
});
