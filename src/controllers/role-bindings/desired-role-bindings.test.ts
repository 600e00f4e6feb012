import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bindingBaseName, desiredRoleBindings, shardSubjects } from './desired-role-bindings.ts';
import { defaultSettings, group, identities, mapping, user } from './identity-fixtures.test-support.ts';

const now = new Date('2026-11-29T00:00:00Z');
const namespaces = [
  { name: 'a', labels: { team: 'platform' } },
  { name: 'b', labels: { team: 'other' } },
  { name: 'c', labels: { team: 'platform' }, terminating: true },
];
const ada = user('u1', 'ada@example.com');
const bob = user('u2', 'bob@example.com');
const eve = user('u3', 'eve@example.com', { active: false });
const devs = group('g1', 'Developers', 'ext-g1');
const view = identities([ada, bob, eve], [devs], { g1: ['u1', 'u2', 'u3'] });
const subjectsOf = (b: { subjects?: { name: string }[] }) => (b.subjects ?? []).map((s) => s.name);

describe('desiredRoleBindings', () => {
  it('binds the active members of a group to a ClusterRole in each listed namespace', () => {
    const out = desiredRoleBindings({
      mapping: mapping('devs', {
        subjects: { groups: [{ displayName: 'developers' }] },
        roleBindings: [{ clusterRole: 'edit', namespaces: ['a', 'b'] }],
      }),
      identities: view,
      namespaces,
      settings: defaultSettings,
      now,
    });
    expect(out.roleBindings.map((b) => `${b.metadata?.namespace}/${b.metadata?.name}`)).toEqual([
      'a/scim:devs:clusterrole:edit',
      'b/scim:devs:clusterrole:edit',
    ]);
    expect(subjectsOf(out.roleBindings[0]!)).toEqual(['ada@example.com', 'bob@example.com']);
    expect(out.userIds).toEqual(['u1', 'u2']);
    expect(out.failures).toEqual([]);
  });

  it('finds groups by externalId as well as by displayName', () => {
    const out = desiredRoleBindings({
      mapping: mapping('m', {
        subjects: { groups: [{ externalId: 'ext-g1' }] },
        clusterRoleBindings: [{ clusterRole: 'view' }],
      }),
      identities: view,
      namespaces,
      settings: defaultSettings,
      now,
    });
    expect(out.clusterRoleBindings).toHaveLength(1);
    expect(out.clusterRoleBindings[0]!.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: 'view',
    });
  });

  it('selects namespaces by label and skips terminating ones', () => {
    const out = desiredRoleBindings({
      mapping: mapping('m', {
        subjects: { users: [{ userName: 'ADA@example.com' }] },
        roleBindings: [{ clusterRole: 'view', namespaceSelector: { matchLabels: { team: 'platform' } } }],
      }),
      identities: view,
      namespaces,
      settings: defaultSettings,
      now,
    });
    expect(out.roleBindings.map((b) => b.metadata?.namespace)).toEqual(['a']);
  });

  it('reports a listed namespace that does not exist and still grants the others', () => {
    const out = desiredRoleBindings({
      mapping: mapping('m', {
        subjects: { users: [{ userName: 'ada@example.com' }] },
        roleBindings: [{ clusterRole: 'view', namespaces: ['a', 'later'] }],
      }),
      identities: view,
      namespaces,
      settings: defaultSettings,
      now,
    });
    expect(out.roleBindings.map((b) => b.metadata?.namespace)).toEqual(['a']);
    expect(out.failures).toEqual([expect.objectContaining({ namespace: 'later', reason: 'NamespaceNotFound' })]);
  });

  it('refuses a role outside the allowlist with RoleNotAllowed and grants the allowed entries', () => {
    const out = desiredRoleBindings({
      mapping: mapping('m', {
        subjects: { users: [{ userName: 'ada@example.com' }] },
        roleBindings: [
          { clusterRole: 'cluster-admin', namespaces: ['a'] },
          { clusterRole: 'view', namespaces: ['a'] },
        ],
        clusterRoleBindings: [{ clusterRole: 'admin' }],
      }),
      identities: view,
      namespaces,
      settings: defaultSettings,
      now,
    });
    expect(out.roleBindings.map((b) => b.roleRef.name)).toEqual(['view']);
    expect(out.clusterRoleBindings).toEqual([]);
    expect(out.failures.map((f) => f.reason)).toEqual(['RoleNotAllowed', 'RoleNotAllowed']);
  });

  it('reports a group that does not exist as GroupNotFound', () => {
    const out = desiredRoleBindings({
      mapping: mapping('m', {
        subjects: { groups: [{ displayName: 'nobody' }] },
        roleBindings: [{ clusterRole: 'view', namespaces: ['a'] }],
      }),
      identities: view,
      namespaces,
      settings: defaultSettings,
      now,
    });
    expect(out.roleBindings).toEqual([]);
    expect(out.failures).toEqual([expect.objectContaining({ reason: 'GroupNotFound' })]);
  });

  it('leaves out deactivated, suspended, excluded, deleting, system: and duplicate users', () => {
    const users = [
      ada,
      user('s', 'sus@example.com', {}, { labels: { 'scim-operator.dev/suspended': 'true' } }),
      user('x', 'excluded@example.com'),
      user('d', 'deleting@example.com', {}, { deletionTimestamp: '2026-11-29T00:00:00Z' }),
      user('sys', 'system:admin'),
      user('dup1', 'Twin@example.com'),
      user('dup2', 'twin@example.com'),
      eve,
    ];
    const settings = { ...defaultSettings, subjects: { ...defaultSettings.subjects, lowercase: true } };
    const out = desiredRoleBindings({
      mapping: mapping('m', {
        subjects: { groups: [{ displayName: 'Developers' }], excludeUsers: [{ userName: 'excluded@example.com' }] },
        roleBindings: [{ clusterRole: 'view', namespaces: ['a'] }],
      }),
      identities: identities(users, [devs], { g1: users.map((u) => u.metadata.name) }, settings),
      namespaces,
      settings,
      now,
    });
    expect(subjectsOf(out.roleBindings[0]!)).toEqual(['ada@example.com']);
  });

  it('applies the subject rule: prefix, lowercase, work email, and the per-user annotation override', () => {
    const users = [
      user('u1', 'Ada@Example.com', { emails: [{ type: 'work', value: 'ADA.L@corp.example' }] }),
      user('u2', 'bob@example.com', {}, { annotations: { 'scim-operator.dev/subject': 'bob-override' } }),
    ];
    const settings = {
      ...defaultSettings,
      subjects: {
        ...defaultSettings.subjects,
        userAttribute: 'workEmail' as const,
        userPrefix: 'oidc:',
        lowercase: true,
      },
    };
    const out = desiredRoleBindings({
      mapping: mapping('m', {
        subjects: { users: [{ userName: 'ada@example.com' }, { userName: 'bob@example.com' }] },
        clusterRoleBindings: [{ clusterRole: 'view' }],
      }),
      identities: identities(users, [], {}, settings),
      namespaces,
      settings,
      now,
    });
    expect(subjectsOf(out.clusterRoleBindings[0]!)).toEqual(['bob-override', 'oidc:ada.l@corp.example']);
  });

  it('binds Group subjects in Group mode', () => {
    const settings = {
      ...defaultSettings,
      subjects: { ...defaultSettings.subjects, mode: 'Group' as const, groupPrefix: 'oidc:' },
    };
    const out = desiredRoleBindings({
      mapping: mapping('m', {
        subjects: { groups: [{ displayName: 'Developers' }] },
        roleBindings: [{ clusterRole: 'view', namespaces: ['a'] }],
      }),
      identities: view,
      namespaces,
      settings,
      now,
    });
    expect(out.roleBindings[0]!.subjects).toEqual([
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'oidc:Developers' },
    ]);
  });

  it('grants nothing once expiresAt has passed, and reports when access expires otherwise', () => {
    const base = {
      subjects: { users: [{ userName: 'ada@example.com' }] },
      clusterRoleBindings: [{ clusterRole: 'view' }],
    };
    const past = desiredRoleBindings({
      mapping: mapping('m', { ...base, expiresAt: '2026-11-28T00:00:00Z' }),
      identities: view,
      namespaces,
      settings: defaultSettings,
      now,
    });
    expect(past.expired).toBe(true);
    expect(past.clusterRoleBindings).toEqual([]);
    const future = desiredRoleBindings({
      mapping: mapping('m', { ...base, expiresAt: '2026-12-01T00:00:00Z' }),
      identities: view,
      namespaces,
      settings: defaultSettings,
      now,
    });
    expect(future.expired).toBe(false);
    expect(future.expiresAt?.toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(future.clusterRoleBindings).toHaveLength(1);
  });

  it('carries an owner reference to the mapping and only our own labels', () => {
    const m = mapping('m', {
      subjects: { users: [{ userName: 'ada@example.com' }] },
      clusterRoleBindings: [{ clusterRole: 'view' }],
    });
    m.metadata.labels = { 'app.kubernetes.io/instance': 'argo-app' };
    m.metadata.annotations = { 'argocd.argoproj.io/tracking-id': 'x' };
    const out = desiredRoleBindings({ mapping: m, identities: view, namespaces, settings: defaultSettings, now });
    const meta = out.clusterRoleBindings[0]!.metadata!;
    expect(meta.labels).toEqual({
      'app.kubernetes.io/managed-by': 'scim-operator',
      'scim-operator.dev/access-mapping': 'm',
    });
    expect(meta.annotations).toBeUndefined();
    expect(meta.ownerReferences).toEqual([
      { apiVersion: 'scim-operator.dev/v1alpha1', kind: 'AccessMapping', name: 'm', uid: 'uid-m', controller: true },
    ]);
  });

  it('splits large subject lists so that no binding exceeds the configured size', () => {
    const users = Array.from({ length: 2500 }, (_, i) => user(`u${i}`, `user${i}@example.com`));
    const settings = { ...defaultSettings, bindings: { ...defaultSettings.bindings, maxSubjectsPerBinding: 500 } };
    const out = desiredRoleBindings({
      mapping: mapping('big', {
        subjects: { groups: [{ displayName: 'all' }] },
        roleBindings: [{ clusterRole: 'view', namespaces: ['a'] }],
      }),
      identities: identities(users, [group('all', 'all')], { all: users.map((u) => u.metadata.name) }),
      namespaces,
      settings,
      now,
    });
    expect(out.roleBindings.length).toBeGreaterThan(5);
    expect(Math.max(...out.roleBindings.map((b) => b.subjects!.length))).toBeLessThanOrEqual(500);
    expect(out.roleBindings.flatMap((b) => subjectsOf(b)).length).toBe(2500);
  });

  it('moves one subject between shards at most when one user joins a large group', () => {
    const subjects = Array.from({ length: 3000 }, (_, i) => ({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'User',
      name: `u${i}`,
    }));
    const before = shardSubjects(subjects, 1000);
    const after = shardSubjects(
      [...subjects, { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'newcomer' }],
      1000,
    );
    const changed = before.filter((shard, i) => JSON.stringify(shard) !== JSON.stringify(after[i]));
    expect(before.length).toBe(after.length);
    expect(changed).toHaveLength(1);
  });

  it('puts each subject in the shard the first 32 bits of its sha256 name, on the first call and on later ones', () => {
    const subjects = Array.from({ length: 3000 }, (_, i) => ({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'User',
      name: `layout-${i}@example.com`,
    }));
    const shardOf = (name: string, count: number) =>
      createHash('sha256').update(`User/${name}`).digest().readUInt32BE(0) % count;
    for (const shards of [shardSubjects(subjects, 1000), shardSubjects(subjects, 1000)]) {
      expect(shards).toHaveLength(4);
      const misplaced = shards.flatMap((shard, index) =>
        shard.filter((subject) => shardOf(subject.name, shards.length) !== index),
      );
      expect(misplaced).toEqual([]);
      expect(shards.flat()).toHaveLength(3000);
    }
  });

  it('lists subjects in code point order, which does not depend on the locale', () => {
    const users = [user('u1', 'ada@example.com'), user('u2', 'Bob@example.com'), user('u3', 'ada.b@example.com')];
    const out = desiredRoleBindings({
      mapping: mapping('m', {
        subjects: { groups: [{ displayName: 'all' }] },
        roleBindings: [{ clusterRole: 'view', namespaces: ['a'] }],
      }),
      identities: identities(users, [group('all', 'all')], { all: ['u1', 'u2', 'u3'] }),
      namespaces,
      settings: defaultSettings,
      now,
    });
    expect(subjectsOf(out.roleBindings[0]!)).toEqual(['Bob@example.com', 'ada.b@example.com', 'ada@example.com']);
  });

  it('is deterministic: the same input gives the same bindings in the same order', () => {
    const input = {
      mapping: mapping('devs', {
        subjects: { groups: [{ displayName: 'Developers' }] },
        roleBindings: [{ clusterRole: 'edit', namespaces: ['b', 'a'] }],
      }),
      identities: view,
      namespaces,
      settings: defaultSettings,
      now,
    };
    expect(desiredRoleBindings(input)).toEqual(desiredRoleBindings(input));
  });

  it('never binds into a protected namespace, the operator namespace included, and reports each as NamespaceProtected', () => {
    const all = [...namespaces, { name: 'kube-system', labels: {} }, { name: 'scim-operator', labels: {} }];
    const out = desiredRoleBindings({
      mapping: mapping('m', {
        subjects: { users: [{ userName: 'ada@example.com' }] },
        roleBindings: [
          { clusterRole: 'edit', namespaceSelector: {} },
          { clusterRole: 'view', namespaces: ['kube-system', 'a'] },
        ],
      }),
      identities: view,
      namespaces: all,
      settings: defaultSettings,
      operatorNamespace: 'scim-operator',
      now,
    });
    expect(out.roleBindings.map((b) => `${b.metadata?.namespace}/${b.roleRef.name}`)).toEqual([
      'a/edit',
      'a/view',
      'b/edit',
    ]);
    expect(out.failures.map((f) => `${f.reason} ${f.namespace}`).sort()).toEqual([
      'NamespaceProtected kube-system',
      'NamespaceProtected scim-operator',
    ]);
  });

  it('binds cluster-wide only the roles of the cluster-scope allowlist, even when allowed in namespaces', () => {
    const out = desiredRoleBindings({
      mapping: mapping('m', {
        subjects: { users: [{ userName: 'ada@example.com' }] },
        roleBindings: [{ clusterRole: 'edit', namespaces: ['a'] }],
        clusterRoleBindings: [{ clusterRole: 'edit' }, { clusterRole: 'view' }],
      }),
      identities: view,
      namespaces,
      settings: defaultSettings,
      now,
    });
    expect(out.roleBindings.map((b) => b.roleRef.name)).toEqual(['edit']);
    expect(out.clusterRoleBindings.map((b) => b.roleRef.name)).toEqual(['view']);
    expect(out.failures).toMatchObject([{ reason: 'RoleNotAllowed' }]);
  });

  it('judges duplicate subjects within the connection: another connection reusing a userName unbinds no one', () => {
    const other = user('o1', 'ada@example.com', {}, { labels: { 'scim-operator.dev/connection': 'okta' } });
    const out = desiredRoleBindings({
      mapping: mapping('m', {
        connection: 'entra',
        subjects: { users: [{ userName: 'ada@example.com' }] },
        roleBindings: [{ clusterRole: 'view', namespaces: ['a'] }],
      }),
      identities: identities([ada, other], [], {}),
      namespaces,
      settings: defaultSettings,
      now,
    });
    expect(out.userIds).toEqual(['u1']);
    expect(subjectsOf(out.roleBindings[0]!)).toEqual(['ada@example.com']);
  });

  it('leaves out admin by default: the default allowlist grants view and edit only', () => {
    expect(defaultSettings.roles.allowedClusterRoles).toEqual(['view', 'edit']);
    expect(defaultSettings.roles.allowClusterRoleBindings).toEqual(['view']);
  });

  it('keeps generated names within the Kubernetes name limit', () => {
    expect(bindingBaseName('x'.repeat(240), 'ClusterRole', 'view').length).toBeLessThanOrEqual(253);
  });
});
