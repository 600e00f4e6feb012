import { describe, expect, it } from 'vitest';
import { checkSubject } from './subject-name.ts';

describe('checkSubject', () => {
  it('refuses system: names with surrounding whitespace or in any case, as reserved', () => {
    for (const name of ['system:masters', ' system:masters', '\tsystem:admin ', 'System:Masters', 'SYSTEM:node:x']) {
      expect(checkSubject(name, 'user x')).toMatchObject({ ok: false, reason: 'ReservedSubject' });
    }
  });

  it('accepts names that merely contain system:', () => {
    expect(checkSubject('oidc:system:x', 'user x')).toEqual({ ok: true, name: 'oidc:system:x' });
  });

  it('refuses blank names as having no subject', () => {
    expect(checkSubject('  ', 'user x')).toMatchObject({ ok: false, reason: 'NoSubject' });
  });
});
