import { describe, expect, it } from 'vitest';
import { AccessChangeSummary } from './access-change-summary.ts';

describe('AccessChangeSummary', () => {
  it('is empty until a change is added', () => {
    expect(new AccessChangeSummary().isEmpty()).toBe(true);
  });

  it('names revocations first, with counts, roles, places and the first users', () => {
    const summary = new AccessChangeSummary();
    for (const user of ['a', 'b', 'c', 'd', 'e', 'f', 'g']) {
      summary.add('granted', user, 'ClusterRole/view', 'team-a');
      summary.add('granted', user, 'ClusterRole/view', 'team-b');
    }
    summary.add('revoked', 'ada', 'ClusterRole/edit', undefined);
    expect(summary.isEmpty()).toBe(false);
    expect(summary.message()).toBe(
      'revoked 1 user (ClusterRole/edit in (cluster-wide); 1 grant): ada; ' +
        'granted 7 users (ClusterRole/view in team-a, team-b; 14 grants): a, b, c, d, e and 2 more',
    );
  });

  it('shortens long lists of roles and namespaces', () => {
    const summary = new AccessChangeSummary();
    for (const ns of ['n1', 'n2', 'n3', 'n4', 'n5']) summary.add('revoked', 'ada', 'ClusterRole/view', ns);
    expect(summary.message()).toBe('revoked 1 user (ClusterRole/view in n1, n2, n3 and 2 more; 5 grants): ada');
  });
});
