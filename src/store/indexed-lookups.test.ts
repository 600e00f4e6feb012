import { describe, expect, it } from 'vitest';
import type { ScimUser } from '../api/scim-user.ts';
import type { ResourceTypeName } from '../scim/schemas.ts';
import { IndexedLookups } from './indexed-lookups.ts';
import type { ScimObject } from './resource-mapping.ts';

const ctx = { connection: 'entra' };

function user(id: string, userName: string, externalId?: string): ScimUser {
  return {
    apiVersion: 'scim-operator.dev/v1alpha1',
    kind: 'ScimUser',
    metadata: { name: id, labels: { 'scim-operator.dev/connection': 'entra' } },
    spec: { userName, ...(externalId === undefined ? {} : { externalId }) },
  } as ScimUser;
}

/**
 * Lookups over a live API server (`live`) and a cache that proposes `proposed` ids whatever is asked, recording each
 * request in order.
 */
function lookups(live: ScimUser[], proposed: string[], claims: Record<string, string> = {}) {
  const log: string[] = [];
  const byId = new Map(live.map((u) => [u.metadata.name, u]));
  const found = new IndexedLookups({
    cache: { candidates: () => proposed },
    readOwned: async (_ctx, _type: ResourceTypeName, id) => {
      log.push(`get ${id}`);
      return byId.get(id) as ScimObject | undefined;
    },
    list: async (_ctx, _type, selector) => {
      log.push(`list ${selector.split('=')[0]}`);
      return live as ScimObject[];
    },
    ownerOf: async (_ctx, _type, value) => {
      log.push('get claim');
      return claims[value.toLowerCase()];
    },
  });
  return {
    log,
    find: (attribute: 'userName' | 'externalId', value: string) => found.find(ctx, 'User', attribute, value),
  };
}

const ids = (objects: ScimObject[]) => objects.map((o) => o.metadata.name);

describe('IndexedLookups', () => {
  it('answers a hit with one live read of the candidate', async () => {
    const { log, find } = lookups([user('a', 'ann')], ['a']);
    expect(ids(await find('userName', 'ANN'))).toEqual(['a']);
    expect(log).toEqual(['get a']);
  });

  it('answers an absent userName with one read of its claim', async () => {
    const { log, find } = lookups([], []);
    expect(await find('userName', 'nobody')).toEqual([]);
    expect(log).toEqual(['get claim']);
  });

  it('finds a userName the cache has not seen yet through its claim and owner', async () => {
    const { log, find } = lookups([user('b', 'bob')], [], { bob: 'b' });
    expect(ids(await find('userName', 'bob'))).toEqual(['b']);
    expect(log).toEqual(['get claim', 'get b']);
  });

  it('rejects a candidate renamed since the cache saw it, and asks the claim instead', async () => {
    const { log, find } = lookups([user('a', 'ann2'), user('b', 'ann')], ['a'], { ann: 'b' });
    expect(ids(await find('userName', 'ann'))).toEqual(['b']);
    expect(log).toEqual(['get a', 'get claim', 'get b']);
  });

  it('rejects a candidate deleted since the cache saw it', async () => {
    const { find } = lookups([], ['gone'], {});
    expect(await find('userName', 'ann')).toEqual([]);
  });

  it('falls back to the label-selector list for an externalId the cache does not confirm', async () => {
    const { log, find } = lookups([user('c', 'carl', 'ext-c')], []);
    expect(ids(await find('externalId', 'ext-c'))).toEqual(['c']);
    expect(log).toEqual(['list scim-operator.dev/externalid-hash']);
  });

  it('keeps only the candidates whose live object still holds the value', async () => {
    const { log, find } = lookups([user('a', 'ann', 'e'), user('b', 'bob', 'other')], ['a', 'b']);
    expect(ids(await find('externalId', 'e'))).toEqual(['a']);
    expect(log.sort()).toEqual(['get a', 'get b']);
  });
});
