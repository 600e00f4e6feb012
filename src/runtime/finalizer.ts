import type { ReconcileResult } from './reconciler.ts';

export type JsonPatchOperation =
  | { op: 'test'; path: string; value: unknown }
  | { op: 'add'; path: string; value: unknown }
  | { op: 'remove'; path: string };

/** The one call `withFinalizer` makes: an RFC 6902 JSON Patch of the object `name`, resolving the patched object. */
export interface FinalizerClient<T> {
  patchJson(name: string, ops: JsonPatchOperation[]): Promise<T>;
}

export interface FinalizableObject {
  metadata?: { name?: string; deletionTimestamp?: string | Date; finalizers?: string[] };
}

export interface FinalizerHandlers<T> {
  /** The object is live and carries the finalizer: make the world match it. */
  apply(obj: T): Promise<ReconcileResult>;
  /** The object is being deleted: undo what `apply` did outside the cluster. Throw to keep the finalizer and retry. */
  cleanup(obj: T): Promise<ReconcileResult>;
}

/**
 * kube-rs's `finalizer()`: guarantees `cleanup` runs, and succeeds, before an object that `apply` has seen is gone.
 *
 * - Live without the finalizer: add it, then `apply` to the patched object. The finalizer is in place before `apply`
 *   can create anything that needs cleaning up.
 * - Live with the finalizer: `apply`.
 * - Being deleted with the finalizer: `cleanup`, then remove the finalizer. If `cleanup` throws, the finalizer stays.
 * - Being deleted without it: nothing to do.
 *
 * Every patch is guarded by a JSON Patch `test`, so a concurrent change to `metadata.finalizers` makes the patch fail
 * (the API server answers 422 Invalid; the reconcile retries on fresh state) rather than clobber another
 * controller's finalizer. A `test` for `null` passes when `metadata.finalizers` is absent. Errors from the
 * handlers and the client propagate unchanged, so a `TerminalError` from `apply` stays terminal.
 */
export async function withFinalizer<T extends FinalizableObject>(
  obj: T,
  finalizerName: string,
  handlers: FinalizerHandlers<T>,
  client: FinalizerClient<T>,
): Promise<ReconcileResult> {
  const name = obj.metadata?.name;
  if (!name) throw new Error('withFinalizer needs an object with metadata.name');
  const index = obj.metadata?.finalizers?.indexOf(finalizerName) ?? -1;
  const deleting = Boolean(obj.metadata?.deletionTimestamp);

  if (deleting) {
    if (index === -1) return undefined;
    const result = await handlers.cleanup(obj);
    await client.patchJson(name, removeFinalizerPatch(obj, finalizerName));
    return result;
  }

  if (index !== -1) return handlers.apply(obj);
  return handlers.apply(await client.patchJson(name, addFinalizerPatch(obj, finalizerName)));
}

/**
 * The test-guarded JSON Patch that adds `finalizerName`. The API server does not de-duplicate finalizers, so the
 * whole list is tested rather than just appended to. For controllers that add a finalizer only when they are about
 * to create something outside the cluster (and so cannot use `withFinalizer`); a concurrent change fails with 422.
 */
export function addFinalizerPatch(obj: FinalizableObject, finalizerName: string): JsonPatchOperation[] {
  const finalizers = obj.metadata?.finalizers ?? [];
  return finalizers.length === 0
    ? [
        { op: 'test', path: '/metadata/finalizers', value: obj.metadata?.finalizers === undefined ? null : [] },
        { op: 'add', path: '/metadata/finalizers', value: [finalizerName] },
      ]
    : [
        { op: 'test', path: '/metadata/finalizers', value: finalizers },
        { op: 'add', path: '/metadata/finalizers/-', value: finalizerName },
      ];
}

/** The test-guarded JSON Patch that removes `finalizerName`; empty when the object does not carry it. */
export function removeFinalizerPatch(obj: FinalizableObject, finalizerName: string): JsonPatchOperation[] {
  const index = obj.metadata?.finalizers?.indexOf(finalizerName) ?? -1;
  if (index === -1) return [];
  const path = `/metadata/finalizers/${index}`;
  return [
    { op: 'test', path, value: finalizerName },
    { op: 'remove', path },
  ];
}
