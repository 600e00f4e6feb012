import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';

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
