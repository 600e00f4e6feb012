import { z } from 'zod';
import { type CustomResource, conditionsSchema, readyColumn, resourceKind, toCrd } from './crd-builder.ts';

export const scimGroupSpecSchema = z
  .object({
    displayName: z.string().min(1).max(1024).describe('Name of the group, unique case-insensitively per connection.'),
    externalId: z.string().max(512).optional().describe("The identity provider's identifier of the group."),
  })
  .describe('The group as the identity provider sent it over SCIM. Members are kept in ScimGroupMembers shards.');

export const scimGroupStatusSchema = z
  .object({
    conditions: conditionsSchema.optional(),
    observedGeneration: z.int().min(0).optional().describe('The generation the controllers last acted on.'),
    memberCount: z.int().min(0).optional().describe('Number of members, summed over the member shards.'),
  })
  .describe('What the controllers observed for this group.');

export type ScimGroupSpec = z.infer<typeof scimGroupSpecSchema>;
export type ScimGroupStatus = z.infer<typeof scimGroupStatusSchema>;
export type ScimGroup = CustomResource<ScimGroupSpec, ScimGroupStatus>;

export const scimGroupKind = resourceKind('ScimGroup', 'scimgroups', 'scimgroup', ['sg']);

export const scimGroupCrd = toCrd(scimGroupKind, {
  description: 'A group provisioned by an identity provider over SCIM 2.0. The object name is the SCIM id.',
  spec: scimGroupSpecSchema,
  status: scimGroupStatusSchema,
  printerColumns: [
    { name: 'Display Name', type: 'string', jsonPath: '.spec.displayName' },
    { name: 'Members', type: 'integer', jsonPath: '.status.memberCount' },
    readyColumn,
    { name: 'Connection', type: 'string', jsonPath: '.metadata.labels.scim-operator\\.dev/connection', priority: 1 },
  ],
});
