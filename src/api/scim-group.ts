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
  })
  .describe(
    'Ready once the controllers have seen the group. Members live in its ScimGroupMembers shards, not here: a member change writes no group status (docs/adr/0021-status-writes.md).',
  );

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
    readyColumn,
    { name: 'Connection', type: 'string', jsonPath: '.metadata.labels.scim-operator\\.dev/connection', priority: 1 },
  ],
});
