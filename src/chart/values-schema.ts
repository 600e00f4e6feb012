import { z } from 'zod';
import { settingsSchema } from '../settings.ts';
import {
  imageValues,
  k8sName,
  k8sObject,
  k8sObjects,
  labelMap,
  optionalK8sName,
  probeTimings,
  pullSecrets,
  quantity,
} from './kubernetes-values.ts';

/**
 * The Helm chart's values, as one zod schema: charts/scim-operator/values.schema.json is generated from it
 * (scripts/generate-crds.ts; a test fails when it is stale), and its `settings` are the operator's own settings
 * schema, so a bad setting is refused at `helm install` rather than by a crash-looping pod.
 */

/** The alerts of templates/prometheusrule.yaml; each can be turned off under prometheusRule.disabled. */
export const alertNames = [
  'ScimOperatorReconcileErrors',
  'ScimOperatorScim5xx',
  'ScimOperatorNoLeader',
  'ScimOperatorDownstreamAppFailing',
  'ScimOperatorTokenOld',
  'ScimOperatorUnmanagedAccess',
  'ScimOperatorDrillFailing',
] as const;

export const chartValuesSchema = z
  .object({
    // A parent chart passes its globals to every subchart, ours included, and its `condition: <name>.enabled`
    // leaves `enabled` in our values; other charts' globals are theirs to validate.
    global: z
      .looseObject({
        commonLabels: labelMap.optional().describe('Labels on every object of every chart that reads them.'),
        imagePullSecrets: pullSecrets.optional(),
      })
      .optional(),
    enabled: z.boolean().optional().describe("A parent chart's condition for installing this one."),
    commonLabels: labelMap.describe('Labels on every object the chart renders, over global.commonLabels.'),
    replicaCount: z.int().min(1).max(10).describe('Operator replicas; one leads the controllers, all serve SCIM.'),
    image: imageValues,
    imagePullSecrets: pullSecrets,
    nameOverride: z.string(),
    fullnameOverride: z.string(),
    crds: z
      .object({
        install: z.boolean().describe('Render the CRDs from templates/ so that helm upgrade upgrades them.'),
        keep: z
          .boolean()
          .describe('Keep the CRDs (and so every ScimUser, ScimGroup, AccessMapping) on helm uninstall.'),
      })
      .strict(),
    serviceAccount: z.object({ create: z.boolean(), name: z.string(), annotations: labelMap }).strict(),
    rbac: z
      .object({
        create: z.boolean().describe('Create the ClusterRole, Role and bindings the operator needs.'),
        aggregateToView: z
          .boolean()
          .describe('Let the built-in view ClusterRole read ScimUsers and ScimGroups (personal data).'),
      })
      .strict(),
    token: z
      .object({
        existingSecret: z.string().describe('Use this Secret (every key a token) instead of generating one.'),
        connection: z
          .string()
          .regex(/^[a-z0-9-]+$/, 'lowercase letters, digits and dashes')
          .describe('Key of the generated token: the connection name recorded on every object it writes.'),
        rotationDays: z.int().min(1).max(3650).describe('Alert when the token Secret is older than this.'),
      })
      .strict(),
    scim: z
      .object({
        publicUrl: z
          .string()
          .regex(/^(https?:\/\/[^\s/]+(\/\S*)?)?$/, 'empty, or an http(s) URL')
          .describe('The tenant URL the IdP uses, e.g. https://scim.example.com/scim/v2.'),
        port: z.int().min(1024).max(65535),
      })
      .strict(),
    metrics: z.object({ port: z.int().min(1024).max(65535) }).strict(),
    logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error']),
    settings: settingsSchema,
    accessMappings: z
      .array(
        z
          .object({ name: k8sName, spec: z.record(z.string(), z.unknown()) })
          .strict()
          .describe('A default AccessMapping; a GitOps repository overrides it by managing one of the same name.'),
      )
      .describe('Default AccessMappings installed with the chart.'),
    service: z
      .object({ type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer']), port: z.int().min(1).max(65535) })
      .strict(),
    ingress: z
      .object({
        enabled: z.boolean(),
        className: z.string(),
        annotations: labelMap,
        host: z.string(),
        tls: z.object({ secretName: z.string() }).strict(),
      })
      .strict(),
    resources: z
      .object({
        requests: z.object({ cpu: quantity.optional(), memory: quantity.optional() }).strict(),
        limits: z.object({ cpu: quantity.optional(), memory: quantity.optional() }).strict(),
      })
      .strict(),
    podDisruptionBudget: z.object({ enabled: z.boolean(), maxUnavailable: z.int().min(0) }).strict(),
    networkPolicy: z
      .object({
        enabled: z.boolean(),
        scimFrom: z.array(z.record(z.string(), z.unknown())).describe('NetworkPolicy peers allowed to reach SCIM.'),
        metricsFrom: z.array(z.record(z.string(), z.unknown())).describe('Peers allowed to scrape metrics.'),
        egress: z
          .object({
            enabled: z
              .boolean()
              .describe('Also restrict egress: DNS, the API server and the DownstreamApp destinations only.'),
            apiServer: z
              .array(z.record(z.string(), z.unknown()))
              .describe('Peers of the API server (e.g. an ipBlock of its endpoint addresses).'),
            apiServerPorts: z.array(z.int().min(1).max(65535)).describe('Ports of the API server endpoints.'),
            downstream: z
              .array(z.record(z.string(), z.unknown()))
              .describe('Peers DownstreamApps may reach (ports 443); default: the internet minus private ranges.'),
          })
          .strict(),
      })
      .strict(),
    admissionPolicy: z
      .object({
        enabled: z
          .boolean()
          .describe(
            'A ValidatingAdmissionPolicy (Kubernetes 1.30+) that lets the operator write and delete only the bindings it labels.',
          ),
        accessMappings: z
          .boolean()
          .optional()
          .describe(
            'A ValidatingAdmissionPolicy (Kubernetes 1.30+) that refuses AccessMappings whose roles are not allowlisted or whose explicit namespaces are protected, from the same settings.',
          ),
      })
      .strict(),
    serviceMonitor: z
      .object({
        enabled: z.boolean(),
        interval: z.string(),
        labels: labelMap,
        relabelings: k8sObjects,
        metricRelabelings: k8sObjects,
      })
      .strict(),
    prometheusRule: z
      .object({
        enabled: z.boolean(),
        labels: labelMap,
        runbookBaseUrl: z.url().describe('docs/troubleshooting.md as a web page; alerts link to its headings.'),
        disabled: z
          .object(Object.fromEntries(alertNames.map((name) => [name, z.boolean().optional()])))
          .strict()
          .describe('Alerts to leave out, by name: { ScimOperatorTokenOld: true }.'),
      })
      .strict(),
    grafanaDashboard: z
      .object({
        enabled: z.boolean(),
        namespace: optionalK8sName.describe("The ConfigMap's namespace (the Grafana sidecar's); empty: the release's."),
        labels: labelMap,
        annotations: labelMap,
        folder: z.string().describe('Grafana folder, set as the annotation named by folderAnnotation.'),
        folderAnnotation: z.string().min(1),
      })
      .strict(),
    podSecurityContext: k8sObject.describe('The pod securityContext; runAsUser: null for OpenShift restricted-v2.'),
    securityContext: k8sObject.describe("The operator container's securityContext."),
    startupProbe: probeTimings({ enabled: true }),
    livenessProbe: probeTimings(),
    readinessProbe: probeTimings(),
    strategy: k8sObject.describe('The Deployment strategy; empty: Kubernetes defaults.'),
    extraArgs: z.array(z.string()).describe('Appended to the operator command line.'),
    extraEnv: k8sObjects,
    extraVolumes: k8sObjects,
    extraVolumeMounts: k8sObjects,
    tests: z.object({ image: imageValues }).strict(),
    podAnnotations: labelMap,
    podLabels: labelMap,
    nodeSelector: labelMap,
    tolerations: z.array(z.record(z.string(), z.unknown())),
    affinity: z.record(z.string(), z.unknown()),
    topologySpreadConstraints: k8sObjects.describe('Without a labelSelector, one for these pods is filled in.'),
    priorityClassName: z.string(),
  })
  .strict();

export function chartValuesJsonSchema(): Record<string, unknown> {
  // Input mode: defaults in the settings schema make their keys optional in values.yaml, as at runtime.
  const schema = z.toJSONSchema(chartValuesSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...schema, title: 'scim-operator Helm chart values' };
}
