{{- /* Generated from src/api/operator-rbac.ts by scripts/generate-crds.ts; do not edit. */ -}}
{{- define "scim-operator.clusterRules" }}
- apiGroups: [scim-operator.dev]
  resources: [scimusers, scimgroups, scimgroupmembers, scimclaims, accessmappings, downstreamapps]
  verbs: [get, list, watch, create, update, patch, delete]
- apiGroups: [scim-operator.dev]
  resources: [scimusers/status, scimgroups/status, scimgroupmembers/status, scimclaims/status, accessmappings/status, downstreamapps/status]
  verbs: [get, update, patch]
- apiGroups: [rbac.authorization.k8s.io]
  resources: [rolebindings, clusterrolebindings]
  verbs: [get, list, watch, create, patch, delete]
- apiGroups: ['']
  resources: [namespaces]
  verbs: [get, list, watch]
- apiGroups: [authorization.k8s.io]
  resources: [subjectaccessreviews]
  verbs: [create]
{{- end }}
