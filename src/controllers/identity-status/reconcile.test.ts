import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { ScimGroup } from '../../api/scim-group.ts';
import type { ScimUser } from '../../api/scim-user.ts';
import { clockAt } from '../../runtime/clock.ts';
import { group, identities, user } from '../role-bindings/identity-fixtures.test-support.ts';
import type { EventRecorder } from '../shared/event-recorder.ts';
import type { IdentityCache } from '../shared/identity-cache.ts';
import type { StatusWriter } from '../shared/status-writer.ts';
import type { BindingIndex } from './binding-index.ts';
import type { GrantedBinding } from './effective-grants.ts';
import { IdentityStatusReconciler } from './reconcile.ts';

const CREATED = '2026-01-01T10:00:00Z';
const grant: GrantedBinding = { namespace: 'team', roleKind: 'ClusterRole', role: 'edit', accessMapping: 'devs' };

/**
 * The reconciler against in-memory identities and bindings; status writes land on the objects, and only writes the
 * StatusWriter would send (the status changed) are counted.
 */
function harness(options: { delayMs?: number; settleMs?: number } = {}) {
  const users = new Map<string, ScimUser>();
  const groups = new Map<string, ScimGroup>();
  const grants = new Map<string, GrantedBinding[]>();
  const writes: string[] = [];
  let now = new Date('2026-01-01T10:00:01Z');
  const view = () => identities([...users.values()], [...groups.values()], {});
  const cache = {
    user: (id: string) => users.get(id),
    group: (id: string) => groups.get(id),
    subjectOf: (id: string) => view().subjectOf(id),
  } as unknown as IdentityCache;
  const bindings = {
    count: (subject: string) => grants.get(subject)?.length ?? 0,
    grantsOf: (subject: string) => grants.get(subject) ?? [],
  } as unknown as BindingIndex;
  const status = {
    async write(kind: { plural: string }, name: string, current: unknown, next: object) {
      if (isDeepStrictEqual(JSON.parse(JSON.stringify(current ?? {})), JSON.parse(JSON.stringify(next)))) return false;
      writes.push(`${kind.plural}/${name}`);
      const target = kind.plural === 'scimusers' ? users.get(name) : groups.get(name);
      if (!target) return true;
      // A merge patch, as StatusWriter sends it: keys of `current` absent from `next` are removed.
      const merged: Record<string, unknown> = { ...target.status, ...next };
      for (const key of Object.keys(current ?? {})) if (!(key in next)) delete merged[key];
      target.status = JSON.parse(JSON.stringify(merged));
      return true;
    },
  } as unknown as StatusWriter;
  const reconciler = new IdentityStatusReconciler({
    identities: cache,
    bindings,
    events: { record() {} } as unknown as EventRecorder,
    status,
    clock: clockAt(() => now),
    firstStatusDelayMs: options.delayMs,
    grantSettleMs: options.settleMs,
  });
  return {
    users,
    groups,
    grants,
    writes,
    reconciler,
    at: (iso: string) => {
      now = new Date(iso);
    },
    addUser: (u: ScimUser) =>
      users.set(u.metadata.name, { ...u, metadata: { ...u.metadata, creationTimestamp: CREATED } }),
    edit: (id: string, spec: Partial<ScimUser['spec']>) => {
      const u = users.get(id)!;
      users.set(id, {
        ...u,
        metadata: { ...u.metadata, generation: (u.metadata.generation ?? 1) + 1 },
        spec: { ...u.spec, ...spec },
      });
    },
  };
}

describe('IdentityStatusReconciler', () => {
  it('writes nothing when only attributes of a user change (displayName, emails, title)', async () => {
    const h = harness();
    h.addUser(user('u-ada', 'ada@example.com'));
    h.grants.set('ada@example.com', [grant]);
    await h.reconciler.reconcile({ kind: 'ScimUser', name: 'u-ada' });
    expect(h.writes).toEqual(['scimusers/u-ada']);
    h.edit('u-ada', { displayName: 'Ada L.', title: 'Engineer', emails: [{ value: 'ada@example.org', type: 'work' }] });
    h.at('2026-01-01T11:00:00Z');
    await h.reconciler.reconcile({ kind: 'ScimUser', name: 'u-ada' });
    expect(h.writes).toEqual(['scimusers/u-ada']);
    expect(h.users.get('u-ada')?.status).not.toHaveProperty('observedGeneration');
    expect(h.users.get('u-ada')?.status?.conditions?.[0]).not.toHaveProperty('observedGeneration');
  });

  it('writes a deactivation at once, with no grants left', async () => {
    const h = harness({ delayMs: 10_000 });
    h.addUser(user('u-ada', 'ada@example.com'));
    h.grants.set('ada@example.com', [grant]);
    await h.reconciler.reconcile({ kind: 'ScimUser', name: 'u-ada' });
    h.edit('u-ada', { active: false });
    h.grants.delete('ada@example.com');
    await h.reconciler.reconcile({ kind: 'ScimUser', name: 'u-ada' });
    expect(h.writes).toEqual(['scimusers/u-ada', 'scimusers/u-ada']);
    expect(h.users.get('u-ada')?.status).toMatchObject({ grantCount: 0, conditions: [{ reason: 'Inactive' }] });
    expect(h.users.get('u-ada')?.status).not.toHaveProperty('grants');
  });

  it('writes a change of grants alone once, when the settling window has passed, however many bindings land in it', async () => {
    const h = harness({ settleMs: 2_000 });
    const key = { kind: 'ScimUser', name: 'u-ada' } as const;
    const view = { ...grant, accessMapping: 'readers', role: 'view' };
    h.addUser(user('u-ada', 'ada@example.com'));
    h.grants.set('ada@example.com', [grant, view]);
    await h.reconciler.reconcile(key);
    expect(h.writes).toHaveLength(1);
    // A leaver-like shrink: the two bindings lose the user one after the other.
    h.grants.set('ada@example.com', [view]);
    h.at('2026-01-01T10:00:02Z');
    expect(await h.reconciler.reconcile(key)).toEqual({ requeueAfterMs: 2_000 });
    h.grants.set('ada@example.com', []);
    h.at('2026-01-01T10:00:03Z');
    expect(await h.reconciler.reconcile(key)).toEqual({ requeueAfterMs: 1_000 });
    expect(h.writes).toHaveLength(1);
    h.at('2026-01-01T10:00:04Z');
    expect(await h.reconciler.reconcile(key)).toBeUndefined();
    expect(h.writes).toHaveLength(2);
    expect(h.users.get('u-ada')?.status).toMatchObject({ grantCount: 0, bindingCount: 0 });
  });

  it('writes a deactivation at once while a change of grants is settling', async () => {
    const h = harness({ settleMs: 2_000 });
    const key = { kind: 'ScimUser', name: 'u-ada' } as const;
    h.addUser(user('u-ada', 'ada@example.com'));
    h.grants.set('ada@example.com', [grant]);
    await h.reconciler.reconcile(key);
    h.grants.set('ada@example.com', [grant, { ...grant, namespace: 'other' }]);
    expect(await h.reconciler.reconcile(key)).toEqual({ requeueAfterMs: 2_000 });
    h.edit('u-ada', { active: false });
    expect(await h.reconciler.reconcile(key)).toBeUndefined();
    expect(h.writes).toHaveLength(2);
    expect(h.users.get('u-ada')?.status).toMatchObject({ conditions: [{ reason: 'Inactive' }] });
  });

  it('writes nothing when the grants return to what the status says before the window ends', async () => {
    const h = harness({ settleMs: 2_000 });
    const key = { kind: 'ScimUser', name: 'u-ada' } as const;
    h.addUser(user('u-ada', 'ada@example.com'));
    h.grants.set('ada@example.com', [grant]);
    await h.reconciler.reconcile(key);
    h.grants.set('ada@example.com', []);
    expect(await h.reconciler.reconcile(key)).toEqual({ requeueAfterMs: 2_000 });
    h.grants.set('ada@example.com', [grant]);
    expect(await h.reconciler.reconcile(key)).toBeUndefined();
    h.at('2026-01-01T10:00:05Z');
    h.grants.set('ada@example.com', []);
    // The window starts again from this change, not from the one that was undone.
    expect(await h.reconciler.reconcile(key)).toEqual({ requeueAfterMs: 2_000 });
    expect(h.writes).toHaveLength(1);
  });

  it('holds back the first status of a new user without access, then writes it once', async () => {
    const h = harness({ delayMs: 10_000 });
    h.addUser(user('u-bob', 'bob@example.com'));
    expect(await h.reconciler.reconcile({ kind: 'ScimUser', name: 'u-bob' })).toEqual({ requeueAfterMs: 9_000 });
    expect(h.writes).toEqual([]);
    h.at('2026-01-01T10:00:10Z');
    expect(await h.reconciler.reconcile({ kind: 'ScimUser', name: 'u-bob' })).toBeUndefined();
    expect(h.writes).toEqual(['scimusers/u-bob']);
    expect(h.users.get('u-bob')?.status).toMatchObject({ bindingCount: 0, conditions: [{ reason: 'Provisioned' }] });
  });

  it('writes the first status of a new user at once when a grant arrives within the delay: one write for both', async () => {
    const h = harness({ delayMs: 10_000 });
    h.addUser(user('u-bob', 'bob@example.com'));
    await h.reconciler.reconcile({ kind: 'ScimUser', name: 'u-bob' });
    h.grants.set('bob@example.com', [grant]);
    expect(await h.reconciler.reconcile({ kind: 'ScimUser', name: 'u-bob' })).toBeUndefined();
    expect(h.writes).toEqual(['scimusers/u-bob']);
    expect(h.users.get('u-bob')?.status).toMatchObject({ grantCount: 1, bindingCount: 1 });
  });

  it('writes the first status of a new inactive user at once', async () => {
    const h = harness({ delayMs: 10_000 });
    h.addUser(user('u-cleo', 'cleo@example.com', { active: false }));
    await h.reconciler.reconcile({ kind: 'ScimUser', name: 'u-cleo' });
    expect(h.writes).toEqual(['scimusers/u-cleo']);
  });

  it("writes a group's status once, whatever its members do", async () => {
    const h = harness();
    h.groups.set('g-devs', group('g-devs', 'devs'));
    await h.reconciler.reconcile({ kind: 'ScimGroup', name: 'g-devs' });
    await h.reconciler.reconcile({ kind: 'ScimGroup', name: 'g-devs' });
    expect(h.writes).toEqual(['scimgroups/g-devs']);
    expect(h.groups.get('g-devs')?.status).toEqual({
      conditions: [expect.objectContaining({ type: 'Ready', status: 'True', reason: 'Provisioned' })],
    });
  });
});
