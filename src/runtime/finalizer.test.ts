import { describe, expect, it, vi } from 'vitest';
import { type FinalizableObject, type FinalizerClient, type JsonPatchOperation, withFinalizer } from './finalizer.ts';
import { requeueAfter, TerminalError } from './reconciler.ts';

const FINALIZER = 'scim-operator.dev/downstream-cleanup';

type Obj = FinalizableObject & { marker?: string };

function setup(obj: Obj, options: { patchFails?: boolean; cleanupFails?: boolean } = {}) {
  const patches: JsonPatchOperation[][] = [];
  const client: FinalizerClient<Obj> = {
    patchJson: async (_name, ops) => {
      patches.push(ops);
      if (options.patchFails) throw new Error('the server rejected our request: test operation failed');
      return { ...obj, marker: 'patched' };
    },
  };
  const apply = vi.fn(async (_o: Obj) => requeueAfter(60_000));
  const cleanup = vi.fn(async (_o: Obj) => {
    if (options.cleanupFails) throw new Error('downstream unavailable');
    return undefined;
  });
  return { patches, client, apply, cleanup, run: () => withFinalizer(obj, FINALIZER, { apply, cleanup }, client) };
}

const live = (finalizers?: string[]): Obj => ({ metadata: { name: 'ada', ...(finalizers ? { finalizers } : {}) } });
const deleting = (finalizers?: string[]): Obj => ({
  metadata: { name: 'ada', deletionTimestamp: '2026-02-03T04:05:06Z', ...(finalizers ? { finalizers } : {}) },
});

describe('withFinalizer', () => {
  it('adds the finalizer with a guarded patch, then applies the patched object, when there are no finalizers', async () => {
    const { patches, apply, run } = setup(live());
    await expect(run()).resolves.toEqual({ requeueAfterMs: 60_000 });
    expect(patches).toEqual([
      [
        { op: 'test', path: '/metadata/finalizers', value: null },
        { op: 'add', path: '/metadata/finalizers', value: [FINALIZER] },
      ],
    ]);
    expect(apply).toHaveBeenCalledWith(expect.objectContaining({ marker: 'patched' }));
  });

  it("appends the finalizer while testing the whole list, so a concurrent add can't be clobbered or doubled", async () => {
    const { patches, run } = setup(live(['other.dev/x']));
    await run();
    expect(patches).toEqual([
      [
        { op: 'test', path: '/metadata/finalizers', value: ['other.dev/x'] },
        { op: 'add', path: '/metadata/finalizers/-', value: FINALIZER },
      ],
    ]);
  });

  it('applies without patching when the finalizer is already there', async () => {
    const { patches, apply, cleanup, run } = setup(live(['other.dev/x', FINALIZER]));
    await expect(run()).resolves.toEqual({ requeueAfterMs: 60_000 });
    expect(patches).toEqual([]);
    expect(apply).toHaveBeenCalledOnce();
    expect(cleanup).not.toHaveBeenCalled();
  });

  it('runs cleanup, then removes the finalizer by index guarded by a test of that index', async () => {
    const { patches, apply, cleanup, run } = setup(deleting(['other.dev/x', FINALIZER]));
    await expect(run()).resolves.toBeUndefined();
    expect(cleanup).toHaveBeenCalledOnce();
    expect(apply).not.toHaveBeenCalled();
    expect(patches).toEqual([
      [
        { op: 'test', path: '/metadata/finalizers/1', value: FINALIZER },
        { op: 'remove', path: '/metadata/finalizers/1' },
      ],
    ]);
  });

  it('keeps the finalizer when cleanup fails', async () => {
    const { patches, run } = setup(deleting([FINALIZER]), { cleanupFails: true });
    await expect(run()).rejects.toThrow('downstream unavailable');
    expect(patches).toEqual([]);
  });

  it('does nothing for an object being deleted without our finalizer', async () => {
    const { patches, apply, cleanup, run } = setup(deleting(['other.dev/x']));
    await expect(run()).resolves.toBeUndefined();
    expect([patches, apply.mock.calls, cleanup.mock.calls]).toEqual([[], [], []]);
  });

  it('does not apply when the guarded add fails, and passes the failure on', async () => {
    const { apply, run } = setup(live(), { patchFails: true });
    await expect(run()).rejects.toThrow('test operation failed');
    expect(apply).not.toHaveBeenCalled();
  });

  it('passes a TerminalError from apply on unchanged', async () => {
    const obj = live([FINALIZER]);
    const client: FinalizerClient<Obj> = { patchJson: async () => obj };
    const error = new TerminalError('invalid spec');
    const result = withFinalizer(
      obj,
      FINALIZER,
      { apply: async () => Promise.reject(error), cleanup: async () => undefined },
      client,
    );
    await expect(result).rejects.toBe(error);
  });

  it('refuses an object without a name', async () => {
    const { client } = setup(live());
    const result = withFinalizer(
      { metadata: {} },
      FINALIZER,
      { apply: async () => undefined, cleanup: async () => undefined },
      client,
    );
    await expect(result).rejects.toThrow('metadata.name');
  });
});
