import { describe, expect, it } from 'vitest';
import { user } from '../role-bindings/identity-fixtures.test-support.ts';
import { isRefusedSubject, userReadiness } from './desired-status.ts';

const ok = { ok: true as const, name: 'ada@example.com' };
const duplicate = { ok: false as const, reason: 'DuplicateSubject', message: 'taken' };

describe('userReadiness', () => {
  it.each([
    ['a provisioned user reports its binding count', user('u', 'ada@example.com'), ok, 'True', 'Provisioned'],
    [
      'the suspended label wins over deactivation',
      user('u', 'ada@example.com', { active: false }, { labels: { 'scim-operator.dev/suspended': 'true' } }),
      ok,
      'False',
      'Suspended',
    ],
    ['a deactivated user is Inactive', user('u', 'ada@example.com', { active: false }), ok, 'False', 'Inactive'],
    ['a refused subject says why', user('u', 'ada@example.com'), duplicate, 'False', 'DuplicateSubject'],
  ])('%s', (_, u, subject, status, reason) => {
    expect(userReadiness(u, subject, 2)).toMatchObject({ status, reason });
  });

  it('tells refused subjects from other reasons', () => {
    expect(isRefusedSubject('DuplicateSubject')).toBe(true);
    expect(isRefusedSubject('Inactive')).toBe(false);
  });
});
