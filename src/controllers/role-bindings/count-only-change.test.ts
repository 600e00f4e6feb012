import { describe, expect, it } from 'vitest';
import type { AccessMappingStatus } from '../../api/access-mapping.ts';
import { isCountOnlyChange } from './count-only-change.ts';

const ready = (message: string) => ({
  type: 'Ready',
  status: 'True' as const,
  reason: 'Reconciled',
  message,
  lastTransitionTime: '2026-01-01T10:00:00Z',
});
const status = (subjects: number, extra: Partial<AccessMappingStatus> = {}): AccessMappingStatus => ({
  observedGeneration: 1,
  subjectCount: subjects,
  bindingCount: 1,
  bindings: [{ kind: 'RoleBinding', namespace: 'team', name: 'scim:devs:clusterrole:view', subjectCount: subjects }],
  conditions: [ready(`1 binding(s) for ${subjects} subject(s)`)],
  ...extra,
});

describe('isCountOnlyChange', () => {
  it('is true when only the subject counts and the Ready message quoting them changed', () => {
    expect(isCountOnlyChange(status(3), status(4))).toBe(true);
  });

  it('is false for an equal status, a first status, or a new generation', () => {
    expect(isCountOnlyChange(status(3), status(3))).toBe(false);
    expect(isCountOnlyChange(undefined, status(3))).toBe(false);
    expect(isCountOnlyChange(status(3), status(4, { observedGeneration: 2 }))).toBe(false);
  });

  it('is false when a binding is added or the Ready reason changes', () => {
    const more = status(4, { bindingCount: 2 });
    more.bindings = [...(more.bindings ?? []), { kind: 'ClusterRoleBinding', name: 'scim:devs:view', subjectCount: 4 }];
    expect(isCountOnlyChange(status(3), more)).toBe(false);
    const failing = status(4, {
      conditions: [{ ...ready('x'), status: 'False' as const, reason: 'NamespaceNotFound' }],
    });
    expect(isCountOnlyChange(status(3), failing)).toBe(false);
  });
});
