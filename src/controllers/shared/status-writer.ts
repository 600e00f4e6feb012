import { isDeepStrictEqual } from 'node:util';
import { CustomObjectsApi, type KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { API_GROUP, API_VERSION } from '../../api/crd-builder.ts';
import { makeApiClient } from '../../runtime/api-client.ts';
import { isNotFound } from '../../runtime/kube-errors.ts';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
/**
 * The operator's one field manager, for everything it writes: generated bindings (server-side apply) and every
 * status patch. Named, so GitOps tools can ignore what the operator owns by manager (docs/gitops.md).
 */
export const FIELD_MANAGER = 'scim-operator';

/**
 * Writes the status subresource of our cluster-scoped kinds, and only when it changed: a converged operator sends
 * no writes at all, so its steady state costs the API server nothing.
 */
export class StatusWriter {
  private readonly api: CustomObjectsApi;
  private readonly onWrite: ((verb: string, target: string) => void) | undefined;

  constructor(kc: KubeConfig, onWrite?: (verb: string, target: string) => void) {
    this.api = makeApiClient(kc, CustomObjectsApi);
    this.onWrite = onWrite;
  }

  async write(kind: { plural: string }, name: string, current: unknown, next: object): Promise<boolean> {
    if (isDeepStrictEqual(normalise(current), normalise(next))) return false;
    // A merge patch removes a key only when told to with null.
    const patch: Record<string, unknown> = { ...next };
    for (const key of Object.keys((current ?? {}) as object)) if (!(key in next)) patch[key] = null;
    this.onWrite?.('status', `${kind.plural}/${name}`);
    try {
      await this.api.patchClusterCustomObjectStatus(
        {
          group: API_GROUP,
          version: API_VERSION,
          plural: kind.plural,
          name,
          body: { status: patch },
          fieldManager: FIELD_MANAGER,
        },
        mergePatch,
      );
    } catch (err) {
      // The object was deleted meanwhile: nothing to report on.
      if (isNotFound(err)) return false;
      throw err;
    }
    return true;
  }
}

/** JSON round trip: drops undefined values, so that `{a: undefined}` equals `{}`. */
function normalise(value: unknown): unknown {
  return value === undefined ? {} : JSON.parse(JSON.stringify(value));
}
