import { describe, expect, it } from 'vitest';
import { MAX_LISTED_GRANTS } from '../../api/scim-user.ts';
import type { SelectionReason } from '../selection/selection.ts';
import { effectiveGrants, type GrantedBinding } from './effective-grants.ts';

const now = new Date('2026-12-05T08:00:00Z');
const earlier = '2026-11-01T00:00:00.000Z';
const view = (namespace: string | undefined, accessMapping = 'team'): GrantedBinding => ({
  namespace,
  roleKind: 'ClusterRole',
  role: 'view',
  accessMapping,
});
const byGroup = (): SelectionReason[] => [{ kind: 'Group', name: 'Devs' }];

describe('effectiveGrants', () => {
  it('lists cluster-wide grants first, then by namespace, with the mapping and the reason it selects the user', () => {
    const { grants, grantCount } = effectiveGrants([view('b'), view(undefined), view('a')], byGroup, undefined, now);
    expect(grantCount).toBe(3);
    expect(grants.map((g) => [g.scope, g.namespace])).toEqual([
      ['Cluster', undefined],
      ['Namespace', 'a'],
      ['Namespace', 'b'],
    ]);
    expect(grants[1]).toEqual({
      scope: 'Namespace',
      namespace: 'a',
      roleKind: 'ClusterRole',
      role: 'view',
      accessMapping: 'team',
      via: [{ kind: 'Group', name: 'Devs' }],
      since: now.toISOString(),
    });
  });

  it('keeps the time a grant was first seen, so an unchanged user yields an equal status', () => {
    const first = effectiveGrants(
      [view('a')],
      byGroup,
      [{ ...effectiveGrants([view('a')], byGroup, undefined, now).grants[0]!, since: earlier }],
      now,
    );
    expect(first.grants[0]?.since).toBe(earlier);
    const later = new Date(now.getTime() + 60_000);
    expect(effectiveGrants([view('a')], byGroup, first.grants, later)).toEqual(first);
  });

  it('dates a grant from another mapping afresh, even in the same namespace and role', () => {
    const previous = effectiveGrants([view('a', 'team')], byGroup, undefined, new Date(earlier)).grants;
    const { grants } = effectiveGrants([view('a', 'team'), view('a', 'other')], byGroup, previous, now);
    expect(grants.map((g) => [g.accessMapping, g.since])).toEqual([
      ['other', now.toISOString()],
      ['team', earlier],
    ]);
  });

  it('collapses the shards of one binding into one grant', () => {
    expect(effectiveGrants([view('a'), view('a')], byGroup, undefined, now).grantCount).toBe(1);
  });

  it(`lists the first ${MAX_LISTED_GRANTS} grants and counts them all, so a user in 500 groups stays small`, () => {
    const many = Array.from({ length: 500 }, (_, i) => view(`ns-${String(i).padStart(3, '0')}`));
    const { grants, grantCount } = effectiveGrants(many, byGroup, undefined, now);
    expect(grantCount).toBe(500);
    expect(grants).toHaveLength(MAX_LISTED_GRANTS);
    expect(grants.at(-1)?.namespace).toBe(`ns-0${MAX_LISTED_GRANTS - 1}`);
  });

  it('leaves out the reasons when the mapping no longer names the user (e.g. deleted meanwhile)', () => {
    const { grants } = effectiveGrants([view('a')], () => [], undefined, now);
    expect(grants[0]).not.toHaveProperty('via');
  });
});
