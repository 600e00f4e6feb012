import type { V1ClusterRole, V1Role } from '@kubernetes/client-node';
import { API_GROUP } from './crd-builder.ts';

/**
 * The permissions the operator runs with: the Helm chart renders exactly these (a test keeps the two equal), and
 * the integration tests run the operator under them, not as cluster-admin. Least privilege: nothing with `*`, no
 * `escalate`, `bind` only on the allowlisted roles, Secrets readable only by name, Events only in its own namespace.
 *
 * What RBAC cannot express: the operator deletes only the bindings it labels (`app.kubernetes.io/managed-by:
 * scim-operator`), but RBAC matches verbs and names, never labels, and generated binding names are not known in
 * advance, so `delete` on RoleBindings and ClusterRoleBindings stays unrestricted by name. The code narrows it (its
 * binding informers select that label, and it deletes only what they list); the chart's opt-in
 * ValidatingAdmissionPolicy (rbac.guardBindings) makes the API server refuse the operator's writes and deletes of
 * bindings without the label.
 */
export interface OperatorRbacOptions {
  name: string;
  namespace: string;
  tokenSecretName: string;
  allowedClusterRoles: string[];
  allowedRoles: string[];
  /** Roles mappings may bind cluster-wide (settings roles.allowClusterRoleBindings): bind is held on these too. */
  allowClusterRoleBindings?: string[];
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
    // Server-side apply needs create and patch; no update. Delete cannot be limited to labelled bindings (see above).
    {
      apiGroups: ['rbac.authorization.k8s.io'],
      resources: ['rolebindings', 'clusterrolebindings'],
      verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'],
    },
    { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'watch'] },
    // The deprovisioning drill asks the authorizer whether its canary is allowed (a question, never a grant).
    { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
  ];
  const bindable = [...new Set([...options.allowedClusterRoles, ...(options.allowClusterRoleBindings ?? [])])];
  if (bindable.length > 0) {
    rules.push({
      apiGroups: ['rbac.authorization.k8s.io'],
      resources: ['clusterroles'],
      verbs: ['bind'],
      resourceNames: bindable,
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

/** In the operator's namespace: its leader-election Lease, its token Secret, DownstreamApp credentials and Events. */
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
      // Events about ScimUsers (cluster-scoped) are written here, not in default: they name users and their access.
      { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
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
