import { dump } from 'js-yaml';
import { crds, renderCrd } from '../api/crds.ts';
import { operatorClusterRole } from '../api/operator-rbac.ts';
import { chartValuesJsonSchema } from './values-schema.ts';

/**
 * Every generated file of the repository, by path, with its content. scripts/generate-crds.ts writes them and a
 * unit test compares them, so a change to a source that is not regenerated fails the tests.
 */
export function generatedFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const [file, crd] of Object.entries(crds)) {
    files[`crds/${file}`] = renderCrd(crd);
    files[`charts/scim-operator/templates/crds/${file}`] = chartCrdTemplate(renderCrd(crd), crd.metadata?.name ?? '');
  }
  files['charts/scim-operator/templates/_cluster-rules.tpl'] = clusterRulesTemplate();
  files['charts/scim-operator/values.schema.json'] = `${JSON.stringify(chartValuesJsonSchema(), null, 2)}\n`;
  return files;
}

/**
 * The chart renders CRDs from templates/ (Helm never upgrades files in a chart's crds/ folder), behind
 * crds.install, and marks them keep so that uninstalling the release never deletes every identity with them.
 */
function chartCrdTemplate(yaml: string, name: string): string {
  // Descriptions may show template syntax ({{ userName }}); Helm must print it, not evaluate it.
  yaml = yaml.replace(/\{\{|\}\}/g, (braces) => `{{ "${braces}" }}`);
  const metadata = `metadata:\n  name: ${name}\n`;
  if (!yaml.includes(metadata)) throw new Error(`unexpected CRD layout for ${name}`);
  const annotated = yaml.replace(
    metadata,
    `${metadata}  labels:\n    {{- include "scim-operator.labels" . | nindent 4 }}\n  {{- if .Values.crds.keep }}\n  annotations:\n    helm.sh/resource-policy: keep\n  {{- end }}\n`,
  );
  return `{{- if .Values.crds.install }}\n${annotated}{{- end }}\n`;
}

/**
 * The operator ClusterRole's fixed rules, from src/api/operator-rbac.ts, as a named template; the chart's rbac.yaml
 * adds the `bind` rules from the role allowlist in its values. One source, so the chart grants what the tests run with.
 */
function clusterRulesTemplate(): string {
  const role = operatorClusterRole({
    name: '',
    namespace: '',
    tokenSecretName: '',
    allowedClusterRoles: [],
    allowedRoles: [],
  });
  const rules = dump(role.rules, { lineWidth: 200, flowLevel: 2 }).trimEnd();
  return `{{- /* Generated from src/api/operator-rbac.ts by scripts/generate-crds.ts; do not edit. */ -}}\n{{- define "scim-operator.clusterRules" }}\n${rules}\n{{- end }}\n`;
}
