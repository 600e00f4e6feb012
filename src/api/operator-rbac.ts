import type { V1ClusterRole, V1Role } from '@kubernetes/client-node';
import { API_GROUP } from './crd-builder.ts';

/**
 * The permissions the operator runs with: the Helm chart renders exactly these (a test keeps the two equal), and
 * the integration tests run the operator under them, not as cluster-admin. Least privilege: nothing with `*`, no
 * `escalate`, `bind` only on the allowlisted roles, Secrets readable only by name.
 */
export interface OperatorRbacOptions {
  name: string;
  namespace: string;
  tokenSecretName: string;
  allowedClusterRoles: string[];
  allowedRoles: string[];
  /** Secrets of the operator's namespace holding DownstreamApp credentials (settings downstream.secretNames). */
  downstreamSecretNames?: string[];
}

const ourKinds = ['scimusers', 'scimgroups', 'scimgroupmembers', 'scimclaims', 'accessmappings', 'downstreamapps'];

export function operatorClusterRole(options: OperatorRbacOptions): V1ClusterRole {
  const rules: V1ClusterRole['rules'] = [
    {
      apiGroups: [API_GROUP],
      resources: ourKinds,
      verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
    },
    {
      apiGroups: [API_GROUP],
      resources: ourKinds.map((k) => `${k}/status`),
      verbs: ['get', 'update', 'patch'],
    },
    {
      apiGroups: ['rbac.authorization.k8s.io'],
      resources: ['rolebindings', 'clusterrolebindings'],
      verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
    },
    { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'watch'] },
    // Events of cluster-scoped objects are written to the default namespace.
    { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
  ];
  if (options.allowedClusterRoles.length > 0) {
    rules.push({
      apiGroups: ['rbac.authorization.k8s.io'],
      resources: ['clusterroles'],
      verbs: ['bind'],
      resourceNames: [...options.allowedClusterRoles],
    });
  }
  if (options.allowedRoles.length > 0) {
    rules.push({
      apiGroups: ['rbac.authorization.k8s.io'],
      resources: ['roles'],
      verbs: ['bind'],
      resourceNames: [...options.allowedRoles],
    });
  }
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: options.name, labels: { 'app.kubernetes.io/name': 'scim-operator' } },
    rules,
  };
}

/** In the operator's namespace: its leader-election Lease, its token Secret, and DownstreamApp credentials. */
export function operatorNamespaceRole(options: OperatorRbacOptions): V1Role {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: {
      name: options.name,
      namespace: options.namespace,
      labels: { 'app.kubernetes.io/name': 'scim-operator' },
    },
    rules: [
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
      },
      {
        apiGroups: [''],
        resources: ['secrets'],
        verbs: ['get', 'list', 'watch'],
        resourceNames: [options.tokenSecretName],
      },
      // DownstreamApp credentials, by name too (ADR 0007); list and watch pass with a metadata.name field selector.
      ...(options.downstreamSecretNames?.length
        ? [
            {
              apiGroups: [''],
              resources: ['secrets'],
              verbs: ['get', 'list', 'watch'],
              resourceNames: [...options.downstreamSecretNames],
            },
          ]
        : []),
    ],
  };
}
