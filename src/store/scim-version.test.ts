import { describe, expect, it } from 'vitest';
import type { ScimObject } from './resource-mapping.ts';
import { MEMBERS_VERSION_ANNOTATION, newMembersToken, scimVersion } from './scim-version.ts';

function object(metadata: Partial<ScimObject['metadata']>): ScimObject {
  return {
    apiVersion: 'scim-operator.dev/v1alpha1',
    kind: 'ScimGroup',
    metadata: { name: 'g', resourceVersion: '100', ...metadata },
    spec: { displayName: 'G' },
  } as ScimObject;
}

describe('scimVersion', () => {
  it('is the generation, whatever the resourceVersion', () => {
    expect(scimVersion('User', object({ generation: 3, resourceVersion: '100' }))).toBe('3');
    expect(scimVersion('User', object({ generation: 3, resourceVersion: '250' }))).toBe('3');
  });

  it("adds a group's members token, so a member change moves it without a spec change", () => {
    const before = object({ generation: 2, annotations: { [MEMBERS_VERSION_ANNOTATION]: 'abc' } });
    const after = object({ generation: 2, annotations: { [MEMBERS_VERSION_ANNOTATION]: 'xyz' } });
    expect(scimVersion('Group', before)).toBe('2-abc');
    expect(scimVersion('Group', after)).not.toBe(scimVersion('Group', before));
  });

  it('ignores the members annotation on a User, and other annotations and labels everywhere', () => {
    const annotated = object({
      generation: 5,
      annotations: { [MEMBERS_VERSION_ANNOTATION]: 'abc', 'example.com/note': 'x' },
      labels: { 'scim-operator.dev/suspended': 'true' },
      finalizers: ['scim-operator.dev/downstream-accounts'],
    });
    expect(scimVersion('User', annotated)).toBe('5');
    expect(scimVersion('Group', object({ generation: 5, labels: { a: 'b' } }))).toBe('5');
  });

  it('issues a different members token each time', () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => newMembersToken()));
    expect(tokens.size).toBe(1000);
    for (const token of tokens) expect(token).toMatch(/^[A-Za-z0-9_-]{8}$/);
  });
});
