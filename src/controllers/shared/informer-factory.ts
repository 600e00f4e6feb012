import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  RbacAuthorizationV1Api,
  type V1ClusterRoleBinding,
  type V1Namespace,
  type V1RoleBinding,
  type V1Secret,
} from '@kubernetes/client-node';
import { API_GROUP, API_VERSION } from '../../api/crd-builder.ts';
import { labels } from '../../api/labels.ts';
import { makeApiClient } from '../../runtime/api-client.ts';
import { type CachedInformer, createInformer, informerOf } from '../../runtime/informer.ts';
import type { LoggerLike } from '../../runtime/reconciler.ts';

/** Only the bindings the operator generated are watched (and cached). */
const MANAGED = `${labels.managedBy}=scim-operator`;
/** The complement: a `!=` selector also matches objects without the label. */
const UNMANAGED = `${labels.managedBy}!=scim-operator`;

/**
 * Builds the informers the controllers watch, each logging its watch failures. Products ask for what they need; the
 * composition starts and stops them (shared/product.ts).
 */
export class InformerFactory {
  private readonly kc: KubeConfig;
  private readonly logger: LoggerLike;
  private readonly custom: CustomObjectsApi;
  private readonly core: CoreV1Api;
  private readonly rbac: RbacAuthorizationV1Api;

  constructor(kc: KubeConfig, logger: LoggerLike) {
    this.kc = kc;
    this.logger = logger;
    this.custom = makeApiClient(kc, CustomObjectsApi);
    this.core = makeApiClient(kc, CoreV1Api);
    this.rbac = makeApiClient(kc, RbacAuthorizationV1Api);
  }

  private onError(informer: string) {
    return (err: unknown, restartInMs: number) =>
      this.logger.warn({ informer, err: String(err), restartInMs }, 'watch failed; restarting');
  }

  /** One of our cluster-scoped custom resources, by plural. */
  customResources<T>(plural: string): CachedInformer<T> {
    // client-node types custom object listings as `object`: this is where they become a list of objects.
    const list = () =>
      this.custom.listClusterCustomObject({ group: API_GROUP, version: API_VERSION, plural }) as Promise<
        KubernetesListObject<KubernetesObject>
      >;
    const informer = createInformer(this.kc, `/apis/${API_GROUP}/${API_VERSION}/${plural}`, list, {
      name: plural,
      onError: this.onError(plural),
    });
    return informerOf<T>(informer);
  }

  namespaces(): CachedInformer<V1Namespace> {
    return createInformer(this.kc, '/api/v1/namespaces', () => this.core.listNamespace(), {
      name: 'namespaces',
      onError: this.onError('namespaces'),
    });
  }

  managedRoleBindings(): CachedInformer<V1RoleBinding> {
    return createInformer(
      this.kc,
      '/apis/rbac.authorization.k8s.io/v1/rolebindings',
      () => this.rbac.listRoleBindingForAllNamespaces({ labelSelector: MANAGED }),
      { name: 'rolebindings', labelSelector: MANAGED, onError: this.onError('rolebindings') },
    );
  }

  managedClusterRoleBindings(): CachedInformer<V1ClusterRoleBinding> {
    return createInformer(
      this.kc,
      '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
      () => this.rbac.listClusterRoleBinding({ labelSelector: MANAGED }),
      { name: 'clusterrolebindings', labelSelector: MANAGED, onError: this.onError('clusterrolebindings') },
    );
  }

  /** Every RoleBinding the operator did not generate (label absent or different), for rogue-access detection. */
  unmanagedRoleBindings(): CachedInformer<V1RoleBinding> {
    return createInformer(
      this.kc,
      '/apis/rbac.authorization.k8s.io/v1/rolebindings',
      () => this.rbac.listRoleBindingForAllNamespaces({ labelSelector: UNMANAGED }),
      { name: 'unmanaged-rolebindings', labelSelector: UNMANAGED, onError: this.onError('unmanaged-rolebindings') },
    );
  }

  /** Every ClusterRoleBinding the operator did not generate. */
  unmanagedClusterRoleBindings(): CachedInformer<V1ClusterRoleBinding> {
    return createInformer(
      this.kc,
      '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
      () => this.rbac.listClusterRoleBinding({ labelSelector: UNMANAGED }),
      {
        name: 'unmanaged-clusterrolebindings',
        labelSelector: UNMANAGED,
        onError: this.onError('unmanaged-clusterrolebindings'),
      },
    );
  }

  /** One Secret by name (the operator may read only the ones it is granted, so no namespace-wide watch). */
  secret(namespace: string, name: string): CachedInformer<V1Secret> {
    const fieldSelector = `metadata.name=${name}`;
    return createInformer(
      this.kc,
      `/api/v1/namespaces/${namespace}/secrets`,
      () => this.core.listNamespacedSecret({ namespace, fieldSelector }),
      { name: `secret ${name}`, fieldSelector, onError: this.onError(`secret ${name}`) },
    );
  }
}
