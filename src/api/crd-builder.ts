import type { V1CustomResourceColumnDefinition, V1CustomResourceDefinition } from '@kubernetes/client-node';
import { z } from 'zod';

/**
 * Our API is defined once, as zod schemas: TypeScript types come from `z.infer`, runtime checks from `parse`, and
 * the CRD manifests in crds/ from `toCrd` (scripts/generate-crds.ts writes them; a test fails when they are stale).
 */

export const API_GROUP = 'scim-operator.dev';
export const API_VERSION = 'v1alpha1';
export const apiVersion = `${API_GROUP}/${API_VERSION}`;

/** metav1.Condition, as the API conventions define it. */
export const conditionSchema = z.object({
  type: z.string().max(316).describe('Type of condition in CamelCase, e.g. Ready.'),
  status: z.enum(['True', 'False', 'Unknown']).describe('Status of the condition.'),
  observedGeneration: z.int().min(0).optional().describe('The .metadata.generation the condition was set for.'),
  lastTransitionTime: z
    .string()
    .describe('When the condition last changed status (RFC 3339).')
    .meta({ format: 'date-time' }),
  reason: z.string().max(1024).describe("Machine-readable CamelCase reason for the condition's last transition."),
  message: z.string().max(32768).describe('Human-readable details about the transition.'),
});
export type Condition = z.infer<typeof conditionSchema>;

export const conditionsSchema = z
  .array(conditionSchema)
  .max(16)
  .describe('Current state, as metav1.Condition entries keyed by type.')
  .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] });

export interface ObjectMeta {
  name: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string | Date;
  deletionTimestamp?: string | Date;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[];
}

export interface CustomResource<Spec, Status = unknown> {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: Spec;
  status?: Status;
}

/** The names of one of our kinds: how clients address its objects, and what its CRD declares. */
export interface ResourceKind<Kind extends string = string> {
  apiVersion: typeof apiVersion;
  kind: Kind;
  plural: string;
  singular: string;
  shortNames: string[];
}

export function resourceKind<const Kind extends string>(
  kind: Kind,
  plural: string,
  singular: string,
  shortNames: string[],
): ResourceKind<Kind> {
  return { apiVersion, kind, plural, singular, shortNames };
}

export interface CrdOptions {
  categories?: string[];
  description: string;
  spec: z.ZodType;
  status?: z.ZodType;
  printerColumns: V1CustomResourceColumnDefinition[];
}

/** JSON Schema keywords a structural CRD schema does not accept, or that carry nothing for Kubernetes. */
function toStructural(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toStructural);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    // Not fields of the CRD's JSONSchemaProps: the API server would drop them.
    if (key === '$schema' || key === 'propertyNames') continue;
    // `false` (zod's closed objects) is not structural; a schema (a map such as matchLabels) is, and must stay.
    if (key === 'additionalProperties' && typeof value !== 'object') continue;
    if (key === 'maximum' && value === Number.MAX_SAFE_INTEGER) continue;
    if (key === 'minimum' && value === Number.MIN_SAFE_INTEGER) continue;
    out[key] = key === 'properties' ? mapValues(value as Record<string, unknown>, toStructural) : toStructural(value);
  }
  return out;
}

function mapValues(record: Record<string, unknown>, fn: (v: unknown) => unknown): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, fn(v)]));
}

export function openApiSchema(schema: z.ZodType): Record<string, unknown> {
  return toStructural(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'throw' })) as Record<string, unknown>;
}

export function toCrd(names: ResourceKind, options: CrdOptions): V1CustomResourceDefinition {
  const properties: Record<string, unknown> = {
    apiVersion: { type: 'string', description: 'APIVersion of this representation of an object.' },
    kind: { type: 'string', description: 'Kind of this object.' },
    metadata: { type: 'object' },
    spec: openApiSchema(options.spec),
  };
  if (options.status) properties.status = openApiSchema(options.status);
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${names.plural}.${API_GROUP}` },
    spec: {
      group: API_GROUP,
      scope: 'Cluster',
      names: {
        kind: names.kind,
        listKind: `${names.kind}List`,
        plural: names.plural,
        singular: names.singular,
        shortNames: names.shortNames,
        categories: options.categories ?? ['scim'],
      },
      versions: [
        {
          name: API_VERSION,
          served: true,
          storage: true,
          subresources: options.status ? { status: {} } : undefined,
          additionalPrinterColumns: [
            ...options.printerColumns,
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: options.description,
              required: ['spec'],
              properties,
            } as never,
          },
        },
      ],
    },
  };
}

export const readyColumn: V1CustomResourceColumnDefinition = {
  name: 'Ready',
  type: 'string',
  jsonPath: '.status.conditions[?(@.type=="Ready")].status',
};
