import { z } from 'zod';
import { settingsSchema } from '../settings.ts';

/**
 * The Helm chart's values, as one zod schema: charts/scim-operator/values.schema.json is generated from it
 * (scripts/generate-crds.ts; a test fails when it is stale), and its `settings` are the operator's own settings
 * schema, so a bad setting is refused at `helm install` rather than by a crash-looping pod.
 */
const labelMap = z.record(z.string(), z.string());
const k8sName = z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'a lowercase DNS name');
const quantity = z.union([
  z.string().regex(/^[0-9.]+[a-zA-Z]*$/, 'a Kubernetes quantity such as 100m or 128Mi'),
  z.number(),
]);

export const chartValuesSchema = z
  .object({
    replicaCount: z.int().min(1).max(10).describe('Operator replicas; one leads the controllers, all serve SCIM.'),
    image: z
      .object({
        repository: z.string().min(1),
        tag: z.string().describe('Defaults to the chart appVersion when empty.'),
        pullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']),
      })
      .strict(),
    imagePullSecrets: z.array(z.object({ name: z.string() }).strict()),
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
      })
      .strict(),
    serviceMonitor: z.object({ enabled: z.boolean(), interval: z.string(), labels: labelMap }).strict(),
    prometheusRule: z.object({ enabled: z.boolean(), labels: labelMap }).strict(),
    grafanaDashboard: z.object({ enabled: z.boolean(), labels: labelMap }).strict(),
    podAnnotations: labelMap,
    podLabels: labelMap,
    nodeSelector: labelMap,
    tolerations: z.array(z.record(z.string(), z.unknown())),
    affinity: z.record(z.string(), z.unknown()),
    priorityClassName: z.string(),
  })
  .strict();

export function chartValuesJsonSchema(): Record<string, unknown> {
  // Input mode: defaults in the settings schema make their keys optional in values.yaml, as at runtime.
  const schema = z.toJSONSchema(chartValuesSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...schema, title: 'scim-operator Helm chart values' };
}
