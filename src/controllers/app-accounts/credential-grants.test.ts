import { describe, expect, it } from 'vitest';
import { grantedApps } from './credential-grants.ts';

const secret = (value: string | undefined) => ({
  metadata: {
    annotations: (value === undefined ? {} : { 'scim-operator.dev/allowed-apps': value }) as Record<string, string>,
  },
});

describe('grantedApps', () => {
  it('grants a key to the apps its annotation lists, in YAML or JSON, and one app as a plain string', () => {
    expect([...grantedApps(secret('{token: [crm, wiki]}'), 'token')]).toEqual(['crm', 'wiki']);
    expect([...grantedApps(secret('{"token": ["crm"]}'), 'token')]).toEqual(['crm']);
    expect([...grantedApps(secret('token: crm\nother: wiki'), 'other')]).toEqual(['wiki']);
  });

  it('grants nothing without the annotation, for an unlisted key, or when the annotation does not parse', () => {
    expect(grantedApps(secret(undefined), 'token').size).toBe(0);
    expect(grantedApps(secret('{token: [crm]}'), 'password').size).toBe(0);
    expect(grantedApps(secret('{token: [crm'), 'token').size).toBe(0);
    expect(grantedApps(secret('[crm]'), 'token').size).toBe(0);
    expect(grantedApps(undefined, 'token').size).toBe(0);
  });
});
