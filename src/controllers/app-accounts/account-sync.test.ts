import { describe, expect, it } from 'vitest';
import { downstreamAppSpecSchema } from '../../api/downstream-app.ts';
import type { PatchOperation, RemoteResource } from '../../downstream/scim-client.ts';
import {
  type AccountClient,
  type AppEntry,
  deprovisionAccount,
  ensureAccount,
  type SyncContext,
} from './account-sync.ts';
import { type AccountAttributes, attributesHash } from './desired-accounts.ts';

/** A downstream service holding one account, recording every request it receives. */
function recordingClient(account: RemoteResource): AccountClient & { requests: string[] } {
  const requests: string[] = [];
  return {
    requests,
    get: async (type: string, id: string) => {
      requests.push(`GET ${type}/${id}`);
      return id === account.id ? account : undefined;
    },
    findUsers: async (attribute: string, value: string) => {
      requests.push(`FIND ${attribute}=${value}`);
      return account.userName === value ? [account] : [];
    },
    create: async (type: string) => {
      requests.push(`POST ${type}`);
      return account;
    },
    patch: async (type: string, id: string, _ops: PatchOperation[]) => {
      requests.push(`PATCH ${type}/${id}`);
    },
    delete: async (type: string, id: string) => {
      requests.push(`DELETE ${type}/${id}`);
    },
  };
}

const attributes: AccountAttributes = { userName: 'ada@example.com', active: true };
const account: RemoteResource = { id: 'r-1', userName: 'ada@example.com', active: true };
const spec = (dryRun: boolean) =>
  downstreamAppSpecSchema.parse({
    url: 'https://crm.example.com/scim',
    auth: { bearer: { token: { name: 's', key: 'k' } } },
    dryRun,
  });
const context = (client: AccountClient, dryRun: boolean): SyncContext => ({
  app: 'crm',
  spec: spec(dryRun),
  client,
  now: new Date('2026-12-01T00:00:00Z'),
});

describe('ensureAccount', () => {
  it('costs no request for a provisioned account whose attributes did not change', async () => {
    const client = recordingClient(account);
    const entry: AppEntry = {
      app: 'crm',
      state: 'Provisioned',
      remoteId: 'r-1',
      attributesHash: attributesHash(attributes),
    };
    const result = await ensureAccount(context(client, false), attributes, entry);
    expect(result).toEqual({ entry, action: 'none' });
    expect(client.requests).toEqual([]);
  });

  it('drops the dry-run plan of an unchanged provisioned account once dry run is turned off', async () => {
    const client = recordingClient(account);
    const planned: AppEntry = {
      app: 'crm',
      state: 'Provisioned',
      remoteId: 'r-1',
      attributesHash: attributesHash(attributes),
      plan: 'matches (r-1)',
    };
    const dryRun = await ensureAccount(context(client, true), attributes, planned);
    expect(dryRun.entry?.plan).toBe('matches (r-1)');

    const result = await ensureAccount(context(client, false), attributes, dryRun.entry);
    expect(result.action).toBe('none');
    expect(result.entry).toEqual({
      app: 'crm',
      state: 'Provisioned',
      remoteId: 'r-1',
      attributesHash: attributesHash(attributes),
    });
    expect(result.entry).not.toHaveProperty('plan');
  });
});

describe('since, on an account entry', () => {
  it('is the time of provisioning for a new account, and is kept when a later change is sent to it', async () => {
    const created = await ensureAccount(
      context(recordingClient({ ...account, id: 'r-new' }), false),
      attributes,
      undefined,
    );
    expect(created.entry).toMatchObject({ state: 'Provisioned', since: '2026-12-01T00:00:00Z' });

    const later = {
      ...context(recordingClient({ ...account, displayName: 'Old' }), false),
      now: new Date('2026-12-03T00:00:00Z'),
    };
    const entry: AppEntry = {
      app: 'crm',
      state: 'Provisioned',
      remoteId: 'r-1',
      since: '2026-11-01T00:00:00Z',
      attributesHash: 'old',
    };
    const updated = await ensureAccount(later, { ...attributes, displayName: 'New' }, entry);
    expect(updated.entry).toMatchObject({
      state: 'Provisioned',
      since: '2026-11-01T00:00:00Z',
      lastSyncTime: '2026-12-03T00:00:00Z',
    });
  });

  it('moves to the time of deprovisioning when the account is ended', async () => {
    const entry: AppEntry = { app: 'crm', state: 'Provisioned', remoteId: 'r-1', since: '2026-11-01T00:00:00Z' };
    const ended = await deprovisionAccount(context(recordingClient(account), false), attributes, entry, false);
    expect(ended.entry).toMatchObject({ state: 'Deprovisioned', since: '2026-12-01T00:00:00Z' });
  });
});
