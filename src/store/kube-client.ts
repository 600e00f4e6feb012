import {
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { API_GROUP, API_VERSION, type CustomResource } from '../api/crd-builder.ts';
import { makeApiClient } from '../runtime/api-client.ts';
import { slimForCache } from '../runtime/informer.ts';

/**
 * Typed access to our cluster-scoped custom resources, and a count of the requests made (benchmarks report API
 * server requests per SCIM change from it).
 */
export class ResourceClient<T extends CustomResource<unknown>> {
  readonly plural: string;
  readonly kind: string;
  requests = 0;
  private readonly api: CustomObjectsApi;

  constructor(kc: KubeConfig, kind: string, plural: string) {
    this.api = makeApiClient(kc, CustomObjectsApi);
    this.kind = kind;
    this.plural = plural;
  }

  private base() {
    this.requests++;
    return { group: API_GROUP, version: API_VERSION, plural: this.plural };
  }

  async get(name: string): Promise<T> {
    return (await this.api.getClusterCustomObject({ ...this.base(), name })) as T;
  }

  /** A consistent list (served at the latest resourceVersion), paged by the API server. */
  async list(labelSelector?: string): Promise<T[]> {
    const items: T[] = [];
    let cont: string | undefined;
    do {
      const page = (await this.api.listClusterCustomObject({
        ...this.base(),
        labelSelector,
        limit: 500,
        _continue: cont,
      })) as { items: T[]; metadata?: ListPageMeta };
      items.push(...page.items);
      cont = nextPage(page.metadata);
    } while (cont);
    return items;
  }

  /**
   * The list call for informers: paged, each page slimmed as it arrives (so a full copy of the whole list never
   * exists at once), and with the list's resourceVersion, so the watch starts there instead of replaying every
   * object as a synthetic ADDED event.
   */
  listForInformer = async (): Promise<KubernetesListObject<KubernetesObject>> => {
    const items: KubernetesObject[] = [];
    let cont: string | undefined;
    let resourceVersion: string | undefined;
    do {
      const page = (await this.api.listClusterCustomObject({ ...this.base(), limit: 500, _continue: cont })) as {
        items: KubernetesObject[];
        metadata?: ListPageMeta;
      };
      for (const item of page.items) items.push(slimForCache(item));
      resourceVersion = page.metadata?.resourceVersion;
      cont = nextPage(page.metadata);
    } while (cont);
    return {
      apiVersion: `${API_GROUP}/${API_VERSION}`,
      kind: `${this.kind}List`,
      metadata: { resourceVersion },
      items,
    } as never;
  };

  async create(body: Omit<T, 'apiVersion' | 'kind'>): Promise<T> {
    const full = { apiVersion: `${API_GROUP}/${API_VERSION}`, kind: this.kind, ...body };
    return (await this.api.createClusterCustomObject({ ...this.base(), body: full })) as T;
  }

  /** Full update; `body.metadata.resourceVersion` makes it conditional. */
  async replace(body: T): Promise<T> {
    return (await this.api.replaceClusterCustomObject({ ...this.base(), name: body.metadata.name, body })) as T;
  }

  /** JSON merge patch; a `metadata.resourceVersion` in the patch makes it conditional. */
  async mergePatch(name: string, patch: Record<string, unknown>): Promise<T> {
    return (await this.api.patchClusterCustomObject(
      { ...this.base(), name, body: patch },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as T;
  }

  async delete(name: string, preconditions?: { resourceVersion?: string; uid?: string }): Promise<void> {
    await this.api.deleteClusterCustomObject({
      ...this.base(),
      name,
      body: preconditions ? { preconditions } : undefined,
    });
  }
}

/**
 * A custom object list is untyped JSON, so its continue token is `metadata.continue` as the API server wrote it;
 * client-node's typed lists rename it `_continue`. Reading only `_continue` here ended every list after its first
 * page (500 objects), which went unnoticed while the informers' watch replayed every object anyway.
 */
type ListPageMeta = { continue?: string; _continue?: string; resourceVersion?: string };

function nextPage(meta: ListPageMeta | undefined): string | undefined {
  return meta?.continue || meta?._continue || undefined;
}
