import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { operatorClusterRole, operatorNamespaceRole } from '../../src/api/operator-rbac.ts';
import type { Settings } from '../../src/settings.ts';

// Free of vitest, so that the benchmarks in bench/ can use it too.
/** Creates one of our cluster-scoped kinds from its spec, as an administrator or a GitOps tool would. */
export async function createOurs(
  kc: KubeConfig,
  kind: 'AccessMapping' | 'DownstreamApp',
  name: string,
  spec: object,
): Promise<void> {
  await kc.makeApiClient(CustomObjectsApi).createClusterCustomObject({
    group: 'scim-operator.dev',
    version: 'v1alpha1',
    plural: `${kind.toLowerCase()}s`,
    body: { apiVersion: 'scim-operator.dev/v1alpha1', kind, metadata: { name }, spec },
  });
}

/**
 * A token Secret in `namespace` and Kubernetes user `user` bound to exactly the ClusterRole and Role the Helm chart
 * ships (src/api/operator-rbac.ts): what an operator replica runs as. Existing objects are kept.
 */
export async function grantOperatorIdentity(
  admin: KubeConfig,
  options: { namespace: string; user: string; connection: string; token: string; settings: Settings },
): Promise<void> {
  const { namespace, user, settings } = options;
  const rbacOptions = {
    name: user,
    namespace,
    tokenSecretName: 'scim-tokens',
    allowedClusterRoles: settings.roles.allowedClusterRoles,
    allowedRoles: settings.roles.allowedRoles,
    allowClusterRoleBindings: settings.roles.allowClusterRoleBindings,
    downstreamSecretNames: settings.downstream.secretNames,
  };
  const core = admin.makeApiClient(CoreV1Api);
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  const subjects = [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }];
  const roleRef = (kind: 'ClusterRole' | 'Role') => ({ apiGroup: 'rbac.authorization.k8s.io', kind, name: user });
  await core
    .createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'scim-tokens' }, stringData: { [options.connection]: options.token } },
    })
    .catch(ignoreExists);
  await rbac.createClusterRole({ body: operatorClusterRole(rbacOptions) }).catch(ignoreExists);
  await rbac
    .createClusterRoleBinding({ body: { metadata: { name: user }, roleRef: roleRef('ClusterRole'), subjects } })
    .catch(ignoreExists);
  await rbac.createNamespacedRole({ namespace, body: operatorNamespaceRole(rbacOptions) }).catch(ignoreExists);
  await rbac
    .createNamespacedRoleBinding({ namespace, body: { metadata: { name: user }, roleRef: roleRef('Role'), subjects } })
    .catch(ignoreExists);
}

/**
 * Grants DownstreamApp `app` the use of `keys` of a credentials Secret, through the Secret's
 * `scim-operator.dev/allowed-apps` annotation, as the Secret's manager would. Grants already there are kept.
 */
export async function grantCredentials(
  admin: KubeConfig,
  options: { namespace: string; secret: string; app: string; keys: string[] },
): Promise<void> {
  const core = admin.makeApiClient(CoreV1Api);
  const current = await core.readNamespacedSecret({ name: options.secret, namespace: options.namespace });
  const text = current.metadata?.annotations?.['scim-operator.dev/allowed-apps'];
  const grants = (text ? JSON.parse(text) : {}) as Record<string, string[]>;
  for (const key of options.keys) grants[key] = [...new Set([...(grants[key] ?? []), options.app])];
  await core.patchNamespacedSecret(
    {
      name: options.secret,
      namespace: options.namespace,
      body: {
        metadata: {
          resourceVersion: current.metadata?.resourceVersion,
          annotations: { 'scim-operator.dev/allowed-apps': JSON.stringify(grants) },
        },
      },
    },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

function ignoreExists(err: unknown): void {
  if ((err as { code?: number }).code !== 409) throw err;
}
