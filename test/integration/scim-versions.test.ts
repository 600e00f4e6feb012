/**
 * The SCIM version on the Kubernetes store against the real API server (docs/adr/0010-scim-version-from-generation.md):
 * it moves with SCIM-visible changes only, If-Match stays atomic although the operator's own writes keep changing
 * resourceVersion, and API server failures reach clients in the mapped forms of src/store/api-errors.ts. Writes by
 * "the controllers" are made here as an administrator, at exactly the moment a test needs them, by wrapping the
 * store's client for one call.
 */

import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { API_GROUP, API_VERSION } from '../../src/api/crd-builder.ts';
import { createScimService } from '../../src/scim/operations.ts';
import type { StoreContext } from '../../src/scim/store.ts';
import { KubernetesScimStore } from '../../src/store/kubernetes-store.ts';
import { adminKubeConfig, uniqueName } from '../support/cluster.ts';
import { ClusterView } from '../support/kubernetes-scim-server.ts';

const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const jsonPatch = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);
const objects = adminKubeConfig().makeApiClient(CustomObjectsApi);
const cluster = new ClusterView();
const at = (plural: string, name: string) => ({ group: API_GROUP, version: API_VERSION, plural, name });

let statusWrites = 0;
/** What the controllers do: a status write (a different one each time), a finalizer, a label. None is SCIM-visible. */
const operatorWrites = {
  status: (plural: string, name: string) =>
    objects.patchClusterCustomObjectStatus(
      {
        ...at(plural, name),
        // A field both kinds' status keeps (ADR 0021 dropped observedGeneration: a pruned field would write nothing).
        body: {
          status: {
            conditions: [
              {
                type: 'Written',
                status: 'True',
                reason: 'StatusWrite',
                message: `status write ${++statusWrites}`,
                lastTransitionTime: new Date().toISOString(),
              },
            ],
          },
        },
      },
      merge,
    ),
  finalizerAndLabel: (plural: string, name: string) =>
    objects.patchClusterCustomObject(
      {
        ...at(plural, name),
        body: { metadata: { finalizers: ['example.com/test'], labels: { 'scim-operator.dev/suspended': 'true' } } },
      },
      merge,
    ),
  dropFinalizer: (plural: string, name: string) =>
    objects.patchClusterCustomObject(
      { ...at(plural, name), body: [{ op: 'remove', path: '/metadata/finalizers' }] },
      jsonPatch,
    ),
};

/** Runs `before` once, right before the next call of `method` on `client`: between the store's read and its write. */
function interleave(
  client: { replace: unknown; mergePatch: unknown; delete: unknown },
  method: 'replace' | 'mergePatch' | 'delete',
  before: () => Promise<unknown>,
) {
  const target = client as Record<typeof method, (...args: unknown[]) => Promise<unknown>>;
  const original = target[method].bind(client);
  return vi.spyOn(target, method).mockImplementationOnce(async (...args: unknown[]) => {
    await before();
    return original(...args);
  });
}

let store: KubernetesScimStore;
let other: KubernetesScimStore;
const logged: { err: unknown; operation: string }[] = [];
beforeAll(async () => {
  store = new KubernetesScimStore({
    kc: adminKubeConfig(),
    onUnexpectedError: (err, operation) => logged.push({ err, operation }),
  });
  other = new KubernetesScimStore({ kc: adminKubeConfig() });
  await Promise.all([store.start(), other.start()]);
});
afterAll(async () => {
  await Promise.all([store?.stop(), other?.stop()]);
});
afterEach(() => {
  vi.restoreAllMocks();
});

const connection = (): StoreContext => ({ connection: uniqueName('versions') });

describe('the SCIM version on the Kubernetes store', () => {
  it('stays the same through status, finalizer and label writes, which change resourceVersion', async () => {
    const ctx = connection();
    const user = await store.create(ctx, 'User', { userName: uniqueName('quiet') });
    const group = await store.create(ctx, 'Group', { displayName: uniqueName('quiet') });
    for (const [plural, resource] of [
      ['scimusers', user],
      ['scimgroups', group],
    ] as const) {
      const before = await cluster.get(plural, resource.id);
      await operatorWrites.status(plural, resource.id);
      await operatorWrites.finalizerAndLabel(plural, resource.id);
      const after = await cluster.get(plural, resource.id);
      expect(after?.metadata.resourceVersion).not.toBe(before?.metadata.resourceVersion);
      const type = plural === 'scimusers' ? 'User' : 'Group';
      expect((await other.get(ctx, type, resource.id))?.version).toBe(resource.version);
      await operatorWrites.dropFinalizer(plural, resource.id);
    }
  });

  it('moves when the spec is changed outside SCIM, as by kubectl edit', async () => {
    const ctx = connection();
    const user = await store.create(ctx, 'User', { userName: uniqueName('edited') });
    await objects.patchClusterCustomObject({ ...at('scimusers', user.id), body: { spec: { title: 'Edited' } } }, merge);
    const read = await store.get(ctx, 'User', user.id);
    expect(read?.attributes.title).toBe('Edited');
    expect(read?.version).not.toBe(user.version);
  });

  it('stays the same when a write changes nothing SCIM-visible, and moves with every member change', async () => {
    const ctx = connection();
    const user = await store.create(ctx, 'User', { userName: uniqueName('same'), title: 'T' });
    expect((await store.replace(ctx, 'User', user.id, { ...user.attributes })).version).toBe(user.version);
    const group = await store.create(ctx, 'Group', { displayName: uniqueName('same') });
    const added = await store.changeMembers(ctx, group.id, { add: [{ value: user.id, type: 'User' }] });
    expect(added.version).not.toBe(group.version);
    expect((await store.changeMembers(ctx, group.id, { add: [{ value: user.id }] })).version).toBe(added.version);
    expect((await other.get(ctx, 'Group', group.id))?.version).toBe(added.version);
  });
});

describe('a deleted resource whose finalizer still holds it', () => {
  it('is gone for SCIM once its DELETE is answered: get, lookups, listings and member checks find nothing', async () => {
    const ctx = connection();
    const userName = uniqueName('leaving');
    const user = await store.create(ctx, 'User', { userName });
    // What the app-accounts controller does while it deprovisions downstream accounts.
    await operatorWrites.finalizerAndLabel('scimusers', user.id);
    await store.delete(ctx, 'User', user.id);
    const held = (await objects.getClusterCustomObject(at('scimusers', user.id))) as {
      metadata: { deletionTimestamp?: string };
    };
    expect(held.metadata.deletionTimestamp).toBeDefined();
    for (const s of [store, other]) {
      expect(await s.get(ctx, 'User', user.id)).toBeUndefined();
      expect(await s.query(ctx, 'User', { kind: 'eq', attribute: 'userName', value: userName })).toEqual([]);
      expect((await s.query(ctx, 'User', { kind: 'all' })).map((u) => u.id)).not.toContain(user.id);
      expect(await s.existing(ctx, 'User', [user.id])).toEqual(new Set());
    }
    await operatorWrites.dropFinalizer('scimusers', user.id);
  });
});

describe('If-Match on the Kubernetes store', () => {
  it('retries a PUT whose conditional write lost to a status write, since the SCIM version still matches', async () => {
    const ctx = connection();
    const user = await store.create(ctx, 'User', { userName: uniqueName('retried') });
    const write = interleave(store.users, 'replace', () => operatorWrites.status('scimusers', user.id));
    const replaced = await store.replace(
      ctx,
      'User',
      user.id,
      { ...user.attributes, title: 'New' },
      { ifMatch: user.version },
    );
    expect(write).toHaveBeenCalledTimes(2);
    expect(replaced.attributes.title).toBe('New');
    expect((await cluster.get('scimusers', user.id))?.spec.title).toBe('New');
  });

  it('answers 412 when a SCIM change lands between its read and its write, and writes nothing', async () => {
    const ctx = connection();
    const user = await store.create(ctx, 'User', { userName: uniqueName('overtaken') });
    const overtake = () => other.replace(ctx, 'User', user.id, { ...user.attributes, title: 'Other' });
    const write = interleave(store.users, 'replace', overtake);
    await expect(
      store.replace(ctx, 'User', user.id, { ...user.attributes, title: 'Mine' }, { ifMatch: user.version }),
    ).rejects.toMatchObject({ status: 412 });
    expect(write).toHaveBeenCalledTimes(1);
    expect((await cluster.get('scimusers', user.id))?.spec.title).toBe('Other');
  });

  it('retries a member change and a delete whose conditional write lost to a status write', async () => {
    const ctx = connection();
    const user = await store.create(ctx, 'User', { userName: uniqueName('member') });
    const group = await store.create(ctx, 'Group', { displayName: uniqueName('members') });
    const bump = interleave(store.groups, 'mergePatch', () => operatorWrites.status('scimgroups', group.id));
    const changed = await store.changeMembers(ctx, group.id, { add: [{ value: user.id }] }, { ifMatch: group.version });
    expect(bump).toHaveBeenCalledTimes(2);
    expect(await cluster.memberIds(group.id)).toEqual([user.id]);

    const remove = interleave(store.groups, 'delete', () => operatorWrites.status('scimgroups', group.id));
    await store.delete(ctx, 'Group', group.id, { ifMatch: changed.version });
    expect(remove).toHaveBeenCalledTimes(2);
    expect(await cluster.get('scimgroups', group.id)).toBeUndefined();
  });

  it('refuses a stale If-Match on a member change with 412 before any member moves', async () => {
    const ctx = connection();
    const user = await store.create(ctx, 'User', { userName: uniqueName('stale') });
    const group = await store.create(ctx, 'Group', { displayName: uniqueName('stale') });
    await other.changeMembers(ctx, group.id, { add: [{ value: user.id }] });
    await expect(
      store.changeMembers(ctx, group.id, { remove: 'all' }, { ifMatch: group.version }),
    ).rejects.toMatchObject({
      status: 412,
    });
    expect(await cluster.memberIds(group.id)).toEqual([user.id]);
  });
});

describe('a member PATCH through the SCIM service', () => {
  it('writes the group once and never reads it: a member-only PATCH needs none of its attributes', async () => {
    const ctx = connection();
    const service = createScimService({ store, baseUrl: 'https://scim.example.test/scim/v2' });
    const user = await store.create(ctx, 'User', { userName: uniqueName('counted') });
    const group = await store.create(ctx, 'Group', { displayName: uniqueName('counted') });
    await vi.waitFor(() => expect(store.cache.get('Group', group.id)).toBeDefined(), { timeout: 10_000 });
    const before = store.groups.requests;
    const answer = await service.patch(ctx, 'Group', group.id, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'add', path: 'members', value: [{ value: user.id }] }],
    });
    expect(store.groups.requests - before).toBe(1);
    expect(answer.etag).not.toBe(`W/"${group.version}"`);
    expect(await cluster.memberIds(group.id)).toEqual([user.id]);
  });
});

describe('API server failures as SCIM clients see them', () => {
  it('answers a value the CRD schema refuses with a generic 400 and logs the API server text', async () => {
    const ctx = connection();
    const user = await store.create(ctx, 'User', { userName: uniqueName('refused') });
    logged.length = 0;
    const failure = await store
      .replace(ctx, 'User', user.id, { ...user.attributes, title: 'x'.repeat(2000) })
      .catch((err: unknown) => err);
    expect(failure).toMatchObject({ status: 400, scimType: 'invalidValue', retryAfterSeconds: undefined });
    expect((failure as Error).message).not.toMatch(/spec\.title|ScimUser|1024/);
    expect(logged).toHaveLength(1);
    expect(String((logged[0]!.err as { body?: unknown }).body)).toMatch(/spec\.title/);
    expect((await cluster.get('scimusers', user.id))?.spec.title).toBeUndefined();
  });

  it('answers a bug in the store (a TypeError) with 500 without Retry-After and logs it with its stack', async () => {
    const ctx = connection();
    const user = await store.create(ctx, 'User', { userName: uniqueName('bug') });
    logged.length = 0;
    vi.spyOn(store.users, 'get').mockImplementationOnce(async () => {
      throw new TypeError("Cannot read properties of undefined (reading 'metadata')");
    });
    const failure = await store.get(ctx, 'User', user.id).catch((err: unknown) => err);
    expect(failure).toMatchObject({ status: 500, retryAfterSeconds: undefined });
    expect((failure as Error).message).not.toMatch(/properties/);
    expect(logged).toHaveLength(1);
    expect(logged[0]!.err).toBeInstanceOf(TypeError);
    expect((logged[0]!.err as Error).stack).toMatch(/scim-versions\.test\.ts/);
  });
});
