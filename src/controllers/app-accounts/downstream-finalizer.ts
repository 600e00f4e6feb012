import { CustomObjectsApi, type KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { API_GROUP, API_VERSION } from '../../api/crd-builder.ts';
import { DOWNSTREAM_FINALIZER } from '../../api/downstream-app.ts';
import { makeApiClient } from '../../runtime/api-client.ts';
import {
  addFinalizerPatch,
  type FinalizableObject,
  type JsonPatchOperation,
  removeFinalizerPatch,
} from '../../runtime/finalizer.ts';
import { isNotFound } from '../../runtime/kube-errors.ts';
import type { WriteObserver } from '../shared/shared-inputs.ts';

const jsonPatch = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);

/**
 * The downstream finalizer on ScimUsers and DownstreamApps, written with the runtime's test-guarded patches
 * (runtime/finalizer.ts): a concurrent finalizer change fails with 422 and the reconcile retries on fresh state.
 * Not `withFinalizer`: a user gets the finalizer only once it is about to get an account, not merely for existing.
 */
export class DownstreamFinalizer {
  private readonly api: CustomObjectsApi;
  private readonly onWrite: WriteObserver;

  constructor(kc: KubeConfig, onWrite: WriteObserver) {
    this.api = makeApiClient(kc, CustomObjectsApi);
    this.onWrite = onWrite;
  }

  static held(obj: FinalizableObject): boolean {
    return obj.metadata?.finalizers?.includes(DOWNSTREAM_FINALIZER) ?? false;
  }

  add(plural: string, obj: FinalizableObject): Promise<void> {
    return this.patch(plural, obj, addFinalizerPatch(obj, DOWNSTREAM_FINALIZER));
  }

  remove(plural: string, obj: FinalizableObject): Promise<void> {
    return this.patch(plural, obj, removeFinalizerPatch(obj, DOWNSTREAM_FINALIZER));
  }

  private async patch(plural: string, obj: FinalizableObject, ops: JsonPatchOperation[]): Promise<void> {
    const name = obj.metadata?.name ?? '';
    if (ops.length === 0) return;
    this.onWrite('finalizer', `${plural}/${name}`);
    try {
      await this.api.patchClusterCustomObject(
        { group: API_GROUP, version: API_VERSION, plural, name, body: ops },
        jsonPatch,
      );
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
