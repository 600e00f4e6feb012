import { describe, expect, it, vi } from 'vitest';
import { createMemoryStore } from '../store/memory-store.ts';
import { countingStore } from './counting-store.test-support.ts';
import { ScimError } from './errors.ts';
import { createScimService } from './operations.ts';
import type { ScimStore, StoreContext } from './store.ts';

const ctx: StoreContext = { connection: 'tests' };
const baseUrl = 'https://scim.example.test/scim/v2';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const patch = (...Operations: object[]) => ({ schemas: [PATCH_OP], Operations });

function setup(store: ScimStore = createMemoryStore()) {
  return { store, service: createScimService({ store, baseUrl }) };
}

async function rejection(promise: Promise<unknown>): Promise<ScimError> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(ScimError);
  return error as ScimError;
}

describe('create and replace', () => {
  it('refuses a user without userName with 400 invalidValue', async () => {
    const { service } = setup();
    const error = await rejection(service.create(ctx, 'User', { displayName: 'No Name' }));
    expect(error).toMatchObject({ status: 400, scimType: 'invalidValue' });
  });

  it('ignores readOnly attributes sent by the client and issues its own id and meta', async () => {
    const { service } = setup();
    const { document } = await service.create(ctx, 'User', {
      id: 'client-id',
      userName: 'readonly',
      meta: { resourceType: 'User', version: 'W/"999"' },
      groups: [{ value: 'g' }],
    });
    expect(document.id).not.toBe('client-id');
    expect(document.groups).toEqual([]);
    expect((document.meta as { version: string }).version).not.toBe('W/"999"');
  });

  it('clears optional attributes a PUT leaves out, and keeps the id', async () => {
    const { service } = setup();
    const created = await service.create(ctx, 'User', { userName: 'full', title: 'CTO', nickName: 'Boss' });
    const id = String(created.document.id);
    const replaced = await service.replace(ctx, 'User', id, { id, userName: 'full', nickName: 'Chief' });
    expect(replaced.document).toMatchObject({ id, userName: 'full', nickName: 'Chief' });
    expect(replaced.document).not.toHaveProperty('title');
  });
});

describe('PATCH', () => {
  it('applies concurrent PATCHes of different attributes without losing any, by re-reading on a version conflict', async () => {
    const { service } = setup();
    const { document } = await service.create(ctx, 'User', { userName: 'concurrent' });
    const id = String(document.id);
    const attributes = ['title', 'nickName', 'displayName', 'locale', 'timezone', 'userType', 'preferredLanguage'];
    await Promise.all(
      attributes.map((name) =>
        service.patch(ctx, 'User', id, patch({ op: 'replace', path: name, value: `v-${name}` })),
      ),
    );
    const { document: after } = await service.get(ctx, 'User', id);
    for (const name of attributes) expect(after[name]).toBe(`v-${name}`);
  });

  it('answers 412 instead of retrying when the client sent If-Match', async () => {
    const { service } = setup();
    const created = await service.create(ctx, 'User', { userName: 'guarded' });
    const id = String(created.document.id);
    await service.patch(ctx, 'User', id, patch({ op: 'replace', path: 'title', value: 'first' }));
    const error = await rejection(
      service.patch(ctx, 'User', id, patch({ op: 'replace', path: 'title', value: 'second' }), {
        ifMatch: created.etag,
      }),
    );
    expect(error.status).toBe(412);
  });

  it('gives up with 503 and Retry-After when the resource keeps changing', async () => {
    const store = createMemoryStore();
    const { service } = setup({
      ...store,
      replace: () => Promise.reject(new ScimError(412, 'changed')),
    } as ScimStore);
    const { document } = await service.create(ctx, 'User', { userName: 'busy' });
    const error = await rejection(
      service.patch(ctx, 'User', String(document.id), patch({ op: 'replace', path: 'title', value: 'x' })),
    );
    expect(error.status).toBe(503);
    expect(error.retryAfterSeconds).toBeGreaterThan(0);
  });

  it('writes nothing when a later operation of the request fails', async () => {
    const { service } = setup();
    const created = await service.create(ctx, 'User', { userName: 'atomic', title: 'before' });
    const id = String(created.document.id);
    await rejection(
      service.patch(
        ctx,
        'User',
        id,
        patch({ op: 'replace', path: 'title', value: 'after' }, { op: 'replace', path: 'noSuchAttribute', value: 1 }),
      ),
    );
    const after = await service.get(ctx, 'User', id);
    expect(after.document.title).toBe('before');
    expect(after.etag).toBe(created.etag);
  });

  it('does not write when the PATCH changes nothing, such as disabling a disabled user', async () => {
    const { service } = setup();
    const created = await service.create(ctx, 'User', { userName: 'idle', active: false });
    const again = await service.patch(
      ctx,
      'User',
      String(created.document.id),
      patch({ op: 'Replace', path: 'active', value: 'False' }),
    );
    expect(again.etag).toBe(created.etag);
    expect(again.document?.active).toBe(false);
  });
});

describe('members', () => {
  it('never reads members when they are excluded', async () => {
    const { store, service } = setup();
    const getMembers = vi.spyOn(store, 'getMembers');
    const { document } = await service.create(ctx, 'Group', { displayName: 'Huge' });
    await service.get(ctx, 'Group', String(document.id), { excludedAttributes: ['members'] });
    await service.list(ctx, 'Group', { filter: 'displayName eq "Huge"', excludedAttributes: ['members'] });
    await service.patch(ctx, 'Group', String(document.id), patch({ op: 'replace', path: 'displayName', value: 'H' }));
    expect(getMembers).not.toHaveBeenCalled();
  });

  it('filters groups on their members from the membership index, as Entra checks a membership', async () => {
    const { service } = setup();
    const user = await service.create(ctx, 'User', { userName: 'member' });
    const userId = String(user.document.id);
    const with_ = await service.create(ctx, 'Group', { displayName: 'With', members: [{ value: userId }] });
    await service.create(ctx, 'Group', { displayName: 'Without' });
    const names = async (filter: string) =>
      (await service.list(ctx, 'Group', { filter, attributes: ['displayName'] })).Resources.map((g) => g.displayName);
    expect(await names(`members.value eq "${userId}"`)).toEqual(['With']);
    expect(await names(`members[value eq "${userId.toUpperCase()}"]`)).toEqual(['With']);
    expect(await names(`id eq "${with_.document.id}" and members eq "${userId}"`)).toEqual(['With']);
    expect(await names(`displayName eq "Without" and members eq "${userId}"`)).toEqual([]);
    expect(await names(`not (members eq "${userId}")`)).toEqual(['Without']);
  });

  it('tests members otherwise only on groups selected by an index, and refuses the rest with invalidFilter', async () => {
    const { service } = setup();
    const user = await service.create(ctx, 'User', { userName: 'member' });
    await service.create(ctx, 'Group', { displayName: 'With', members: [{ value: String(user.document.id) }] });
    await service.create(ctx, 'Group', { displayName: 'Without' });
    const found = await service.list(ctx, 'Group', { filter: 'displayName eq "With" and members pr' });
    expect(found.totalResults).toBe(1);
    for (const filter of ['members pr', `members ne "${user.document.id}"`, 'members[type eq "User"]']) {
      const error = await rejection(service.list(ctx, 'Group', { filter }));
      expect({ status: error.status, scimType: error.scimType }).toEqual({ status: 400, scimType: 'invalidFilter' });
    }
  });

  it('refuses a group as a member of itself', async () => {
    const { service } = setup();
    const { document } = await service.create(ctx, 'Group', { displayName: 'Loop' });
    const id = String(document.id);
    const error = await rejection(
      service.patch(ctx, 'Group', id, patch({ op: 'add', path: 'members', value: [{ value: id, type: 'Group' }] })),
    );
    expect(error.status).toBe(400);
  });
});

describe('member-only PATCH of a group', () => {
  it('adds and removes members without reading the group first, and answers with the new version', async () => {
    const store = countingStore(createMemoryStore());
    const { service } = setup(store);
    const group = await service.create(ctx, 'Group', { displayName: 'Fast' });
    const user = await service.create(ctx, 'User', { userName: 'fast-member' });
    const id = String(group.document.id);
    const member = String(user.document.id);
    store.reset();
    const added = await service.patch(
      ctx,
      'Group',
      id,
      patch({ op: 'Add', path: 'members', value: [{ value: member }] }),
    );
    expect(store.count('get')).toBe(0);
    expect(store.count('changeMembers')).toBe(1);
    const read = await service.get(ctx, 'Group', id);
    expect(read.document.members).toEqual([expect.objectContaining({ value: member })]);
    expect(added.etag).toBe(read.etag);
    store.reset();
    await service.patch(ctx, 'Group', id, patch({ op: 'remove', path: `members[value eq "${member}"]` }));
    expect(store.count('get')).toBe(0);
    expect((await service.get(ctx, 'Group', id)).document.members ?? []).toEqual([]);
  });

  it('answers 404, not 400, for an unknown group whose new member is unknown too', async () => {
    const { service } = setup();
    const error = await rejection(
      service.patch(
        ctx,
        'Group',
        crypto.randomUUID(),
        patch({ op: 'add', path: 'members', value: [{ value: crypto.randomUUID() }] }),
      ),
    );
    expect(error.status).toBe(404);
  });

  it('answers 404 for a group that does not exist, as the path that reads it first does', async () => {
    const { service } = setup();
    const user = await service.create(ctx, 'User', { userName: 'orphan-member' });
    const error = await rejection(
      service.patch(
        ctx,
        'Group',
        crypto.randomUUID(),
        patch({ op: 'add', path: 'members', value: [{ value: String(user.document.id) }] }),
      ),
    );
    expect(error.status).toBe(404);
  });

  it('reads the group when the request also changes an attribute or carries If-Match', async () => {
    const store = countingStore(createMemoryStore());
    const { service } = setup(store);
    const group = await service.create(ctx, 'Group', { displayName: 'Slow' });
    const id = String(group.document.id);
    store.reset();
    await service.patch(
      ctx,
      'Group',
      id,
      patch({ op: 'replace', path: 'displayName', value: 'Slower' }, { op: 'remove', path: 'members' }),
    );
    expect(store.count('get')).toBeGreaterThan(0);
    store.reset();
    const { etag } = await service.get(ctx, 'Group', id);
    store.reset();
    await service.patch(ctx, 'Group', id, patch({ op: 'remove', path: 'members' }), { ifMatch: etag });
    expect(store.count('get')).toBeGreaterThan(0);
  });
});

describe('list', () => {
  it('pages after filtering, so totalResults counts matches only', async () => {
    const { service } = setup();
    for (const name of ['ann', 'bob', 'anna', 'andy']) await service.create(ctx, 'User', { userName: name });
    const all = await service.list(ctx, 'User', { filter: 'userName sw "an"' });
    expect(all.Resources.map((user) => user.userName).sort()).toEqual(['andy', 'ann', 'anna']);
    const page = await service.list(ctx, 'User', { filter: 'userName sw "an"', startIndex: 2, count: 1 });
    expect(page).toMatchObject({ totalResults: 3, startIndex: 2, itemsPerPage: 1 });
    expect(page.Resources[0]?.id).toBe(all.Resources[1]?.id);
  });
});
