import { describe, expect, it } from 'vitest';
import type { DownstreamApp } from '../../api/downstream-app.ts';
import type { ScimUser } from '../../api/scim-user.ts';
import type { AppEntry } from './account-sync.ts';
import { pushingAppKeys, SpecChanges, secretKeys } from './watches.ts';

const app = (name: string, secret: string, push = false): DownstreamApp => ({
  apiVersion: 'scim-operator.dev/v1alpha1',
  kind: 'DownstreamApp',
  metadata: { name, generation: 1 },
  spec: {
    url: `https://${name}.example.com/scim`,
    auth: { bearer: { token: { name: secret, key: 'token' } } },
    ...(push ? { groups: { push: true } } : {}),
  } as DownstreamApp['spec'],
});
const user = (id: string, apps: AppEntry[]): ScimUser => ({
  apiVersion: 'scim-operator.dev/v1alpha1',
  kind: 'ScimUser',
  metadata: { name: id },
  spec: { userName: `${id}@example.com` },
  status: { apps },
});
const names = (keys: { kind: string; name: string }[]) => keys.map((k) => `${k.kind}:${k.name}`);

describe('downstream accounts event-to-key mapping', () => {
  it('tells a spec change from a status write by the generation', () => {
    const changes = new SpecChanges();
    const crm = app('crm', 's');
    expect(changes.changed(crm, 'add')).toBe(true);
    expect(changes.changed(crm, 'update')).toBe(false);
    expect(changes.changed({ ...crm, metadata: { ...crm.metadata, generation: 2 } }, 'update')).toBe(true);
    expect(changes.changed({ ...crm, metadata: { ...crm.metadata, deletionTimestamp: 'now' } }, 'update')).toBe(true);
    expect(changes.changed(crm, 'delete')).toBe(true);
  });

  it('sends a Secret change to the apps using it and to their users whose account is not provisioned', () => {
    const apps = [app('crm', 'crm-token'), app('wiki', 'wiki-token')];
    const users = [
      user('ada', [{ app: 'crm', state: 'Provisioned', remoteId: 'r1' }]),
      user('bob', [{ app: 'crm', state: 'Failed', lastError: 'Unauthorized' }]),
      user('eve', [{ app: 'wiki', state: 'Failed' }]),
    ];
    const keys = secretKeys('crm-token', apps, users, (u) => u.status?.apps ?? []);
    expect(names(keys)).toEqual(['DownstreamApp:crm', 'ScimUser:bob']);
  });

  it('sends a group change to the apps that push groups', () => {
    expect(names(pushingAppKeys([app('crm', 's', true), app('wiki', 's')]))).toEqual(['DownstreamApp:crm']);
  });
});
