import type { V1RoleBinding } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { group, mapping, user } from './identity-fixtures.test-support.ts';
import { allMappings, mappingsOfGroup, mappingsOfUser, ownerMapping } from './watches.ts';

const ada = user('u-ada', 'ada@example.com');
const devs = group('g-devs', 'Devs', 'ext-devs');
const mappings = [
  mapping('direct', { subjects: { users: [{ userName: 'ADA@example.com' }] } }),
  mapping('excluding', { subjects: { excludeUsers: [{ userName: 'ada@example.com' }] } }),
  mapping('team', { subjects: { groups: [{ displayName: 'devs' }] } }),
  mapping('by-id', { subjects: { groups: [{ externalId: 'ext-devs' }] } }),
  mapping('other', { subjects: { groups: [{ displayName: 'ops' }], users: [{ userName: 'bob@example.com' }] } }),
];
const names = (keys: { kind: string; name: string }[]) => keys.map((k) => `${k.kind}:${k.name}`);

describe('RoleBindings event-to-key mapping', () => {
  it('sends a generated binding back to the mapping that owns it, and ignores one without an owner', () => {
    const owned: V1RoleBinding = {
      metadata: {
        name: 'scim:team:clusterrole:view',
        ownerReferences: [{ apiVersion: 'v1', kind: 'AccessMapping', name: 'team', uid: 'u' }],
      },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
    };
    expect(names(ownerMapping(owned))).toEqual(['AccessMapping:team']);
    expect(ownerMapping({ metadata: { name: 'x' } })).toEqual([]);
  });

  it('sends a user change to the mappings naming the user, excluding it, or naming one of its groups', () => {
    expect(names(mappingsOfUser(mappings, ada, [devs]))).toEqual([
      'AccessMapping:direct',
      'AccessMapping:excluding',
      'AccessMapping:team',
      'AccessMapping:by-id',
    ]);
    expect(names(mappingsOfUser(mappings, ada, []))).toEqual(['AccessMapping:direct', 'AccessMapping:excluding']);
  });

  it('sends a membership change to the mappings naming the group by displayName or externalId', () => {
    expect(names(mappingsOfGroup(mappings, devs))).toEqual(['AccessMapping:team', 'AccessMapping:by-id']);
  });

  it('sends a namespace or group rename to every mapping', () => {
    expect(allMappings(mappings)).toHaveLength(mappings.length);
  });
});
