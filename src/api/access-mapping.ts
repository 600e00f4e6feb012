import { z } from 'zod';
import { type CustomResource, conditionsSchema, readyColumn, resourceKind, toCrd } from './crd-builder.ts';

const name = (description: string) => z.string().min(1).max(253).describe(description);

const labelSelectorSchema = z
  .object({
    matchLabels: z.record(z.string(), z.string()).optional().describe('Labels a namespace must have, all of them.'),
    matchExpressions: z
      .array(
        z.object({
          key: z.string().max(317).describe('The label key.'),
          operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']).describe('How the key relates to the values.'),
          values: z.array(z.string().max(63)).max(64).optional().describe('Values for In and NotIn.'),
        }),
      )
      .max(16)
      .optional()
      .describe('Label requirements, all of which must hold.'),
  })
  .describe('A Kubernetes label selector over namespaces.');

export const groupReferenceSchema = z
  .object({
    displayName: z.string().max(1024).optional().describe('The SCIM displayName of the group (case-insensitive).'),
    externalId: z
      .string()
      .max(512)
      .optional()
      .describe("The identity provider's id of the group (e.g. Entra objectId)."),
  })
  .describe('A SCIM group, by displayName or by externalId.')
  .meta({
    'x-kubernetes-validations': [
      {
        rule: 'has(self.displayName) != has(self.externalId)',
        message: 'set exactly one of displayName and externalId',
      },
    ],
  });

const userReferenceSchema = z
  .object({ userName: z.string().min(1).max(512).describe('The SCIM userName (case-insensitive).') })
  .describe('A SCIM user, by userName.');

const roleReferenceSchema = z
  .object({
    value: z
      .string()
      .min(1)
      .max(1024)
      .describe('The role value, compared exactly (case-sensitive) with the values in ScimUser spec.roles.'),
  })
  .describe("A SCIM role, by value, in the mapping's connection.");

export const accessMappingSpecSchema = z
  .object({
    connection: z
      .string()
      .max(63)
      .optional()
      .describe(
        'Only identities written through this SCIM connection (token name) count. Required when the operator serves more than one connection; with one, that one.',
      ),
    subjects: z
      .object({
        groups: z.array(groupReferenceSchema).max(256).optional().describe('Members of these groups get the access.'),
        users: z.array(userReferenceSchema).max(1024).optional().describe('These users get the access directly.'),
        roles: z
          .array(roleReferenceSchema)
          .max(256)
          .optional()
          .describe(
            'Users holding one of these roles (ScimUser spec.roles[].value, e.g. an Entra app role value) get the access.',
          ),
        excludeUsers: z
          .array(userReferenceSchema)
          .max(1024)
          .optional()
          .describe('These users never get the access from this mapping, even as group members.'),
      })
      .describe('Who gets the access.'),
    roleBindings: z
      .array(
        z
          .object({
            clusterRole: name('A ClusterRole to bind in each namespace.').optional(),
            role: name('A Role of that name, which must exist in each namespace.').optional(),
            namespaces: z.array(z.string().min(1).max(63)).max(256).optional().describe('Namespaces, by name.'),
            namespaceSelector: labelSelectorSchema.optional(),
          })
          .describe('A role bound in a set of namespaces.')
          .meta({
            'x-kubernetes-validations': [
              { rule: 'has(self.clusterRole) != has(self.role)', message: 'set exactly one of clusterRole and role' },
              {
                rule: 'has(self.namespaces) || has(self.namespaceSelector)',
                message: 'set namespaces, namespaceSelector or both',
              },
            ],
          }),
      )
      .max(64)
      .optional()
      .describe('Namespaced access: RoleBindings.'),
    clusterRoleBindings: z
      .array(z.object({ clusterRole: name('The ClusterRole to bind cluster-wide.') }))
      .max(64)
      .optional()
      .describe('Cluster-wide access: ClusterRoleBindings.'),
    apps: z
      .array(
        z.object({
          name: name('A DownstreamApp: the subjects get accounts in it.'),
          attributes: z
            .record(z.string().max(63), z.string().max(1024))
            .optional()
            .describe("Per-assignment values, e.g. role: admin, for the app's {{assignment.<key>}} templates.")
            // crd-builder drops additionalProperties, which would leave an object that prunes every key.
            .meta({ 'x-kubernetes-preserve-unknown-fields': true }),
        }),
      )
      .max(64)
      .optional()
      .describe('Downstream apps the subjects get accounts in (DownstreamApp names).'),
    suspend: z
      .boolean()
      .optional()
      .describe('Pause reconciliation: the generated bindings are left exactly as they are until unsuspended.'),
    expiresAt: z
      .string()
      .meta({ format: 'date-time' })
      .optional()
      .describe('Time-boxed access: from this time (RFC 3339) on, the generated bindings are removed.'),
  })
  .describe('Which SCIM groups and users get which roles where. Kept in Git; the operator writes only status.')
  .meta({
    'x-kubernetes-validations': [
      {
        rule: 'has(self.roleBindings) || has(self.clusterRoleBindings) || has(self.apps)',
        message: 'grant something: set roleBindings, clusterRoleBindings, apps or several',
      },
    ],
  });

/** How many generated bindings an AccessMapping's status lists; bindingCount holds the total. */
export const MAX_LISTED_BINDINGS = 100;

export const accessMappingStatusSchema = z
  .object({
    conditions: conditionsSchema.optional(),
    observedGeneration: z.int().min(0).optional().describe('The generation this status describes.'),
    subjectCount: z.int().min(0).optional().describe('Subjects bound (users, or groups in Group subject mode).'),
    bindingCount: z.int().min(0).optional().describe('RoleBindings and ClusterRoleBindings generated.'),
    bindings: z
      .array(
        z.object({
          kind: z.enum(['RoleBinding', 'ClusterRoleBinding']).describe('The kind of binding.'),
          namespace: z.string().max(63).optional().describe('Its namespace, for a RoleBinding.'),
          name: z.string().max(253).describe('Its name.'),
          subjectCount: z.int().min(0).describe('Subjects it names.'),
        }),
      )
      .max(MAX_LISTED_BINDINGS)
      .optional()
      .describe(`The bindings generated, sorted; the first ${MAX_LISTED_BINDINGS} of bindingCount.`),
    failures: z
      .array(
        z.object({
          namespace: z.string().max(63).optional().describe('The namespace concerned, if any.'),
          reason: z
            .enum([
              'GroupNotFound',
              'UserNotFound',
              'NamespaceNotFound',
              'NamespaceProtected',
              'RoleNotAllowed',
              'ConnectionRequired',
              'BindForbidden',
              'ApplyFailed',
            ])
            .describe('Why this part could not be granted.'),
          message: z.string().max(1024).describe('Details.'),
        }),
      )
      .max(100)
      .optional()
      .describe('Parts of the mapping that could not be applied; the rest is applied regardless.'),
  })
  .describe('What the operator granted for this mapping.');

export type AccessMappingSpec = z.infer<typeof accessMappingSpecSchema>;
export type AccessMappingStatus = z.infer<typeof accessMappingStatusSchema>;
export type AccessMapping = CustomResource<AccessMappingSpec, AccessMappingStatus>;
export type MappingFailure = NonNullable<AccessMappingStatus['failures']>[number];

export const accessMappingKind = resourceKind('AccessMapping', 'accessmappings', 'accessmapping', ['am']);

export const accessMappingCrd = toCrd(accessMappingKind, {
  description:
    'Grants Kubernetes roles to SCIM groups and users: the operator keeps RoleBindings and ClusterRoleBindings equal to it.',
  spec: accessMappingSpecSchema,
  status: accessMappingStatusSchema,
  printerColumns: [
    { name: 'Subjects', type: 'integer', jsonPath: '.status.subjectCount' },
    { name: 'Bindings', type: 'integer', jsonPath: '.status.bindingCount' },
    { name: 'Suspended', type: 'boolean', jsonPath: '.spec.suspend' },
    { name: 'Expires', type: 'date', jsonPath: '.spec.expiresAt' },
    readyColumn,
    { name: 'Reason', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason', priority: 1 },
  ],
});
