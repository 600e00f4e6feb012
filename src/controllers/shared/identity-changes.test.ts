import { describe, expect, it } from 'vitest';
import { IdentityChanges } from './identity-changes.ts';

const user = (generation: number, extra: Record<string, unknown> = {}) => ({
  kind: 'ScimUser',
  metadata: { name: 'u1', generation, labels: { 'scim-operator.dev/connection': 'entra' }, ...extra },
});

describe('IdentityChanges', () => {
  it('reports the first sight of an object, a spec change, a label change, a subject override and a deletion', () => {
    const changes = new IdentityChanges();
    expect(changes.changed(user(1), 'add')).toBe(true);
    expect(changes.changed(user(2), 'update')).toBe(true);
    expect(changes.changed(user(2, { labels: { 'scim-operator.dev/suspended': 'true' } }), 'update')).toBe(true);
    expect(
      changes.changed(
        user(2, {
          labels: { 'scim-operator.dev/suspended': 'true' },
          annotations: { 'scim-operator.dev/subject': 'x' },
        }),
        'update',
      ),
    ).toBe(true);
    expect(changes.changed(user(2), 'delete')).toBe(true);
  });

  it('ignores status writes and other annotation bumps, which leave the generation alone', () => {
    const changes = new IdentityChanges();
    changes.changed(user(3), 'add');
    expect(changes.changed(user(3, { annotations: { 'scim-operator.dev/last-modified': 'now' } }), 'update')).toBe(
      false,
    );
    expect(changes.changed({ ...user(3), status: { groupCount: 2 } } as never, 'update')).toBe(false);
  });
});
