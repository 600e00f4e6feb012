import { z } from 'zod';
import { type CustomResource, resourceKind, toCrd } from './crd-builder.ts';

/**
 * Members of one group are spread over a fixed number of shards by a hash of the member id, so that adding or
 * removing a member reads and writes exactly one shard, and no object grows past the etcd request limit
 * (docs/adr/0004-group-membership-shards.md).
 */
export const MEMBER_SHARDS = 16;
/** ~70 bytes per member in JSON: 12,000 members keep a shard under 1 MiB; 16 shards hold 192,000 members. */
export const MAX_MEMBERS_PER_SHARD = 12_000;

export const scimGroupMembersSpecSchema = z
  .object({
    group: z.string().min(1).max(253).describe('The SCIM id (object name) of the ScimGroup these members belong to.'),
    shard: z.int().min(0).max(255).describe('The shard number: hash(member id) modulo the shard count.'),
    members: z
      .array(
        z.object({
          value: z.string().min(1).max(253).describe('The SCIM id of the member.'),
          type: z.enum(['User', 'Group']).optional().describe('The kind of member.'),
        }),
      )
      .max(MAX_MEMBERS_PER_SHARD)
      .describe('The members in this shard, without duplicates.')
      .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['value'] }),
  })
  .describe('One shard of the members of a ScimGroup. Written by the SCIM endpoint.');

export type ScimGroupMembersSpec = z.infer<typeof scimGroupMembersSpecSchema>;
export type ScimGroupMembers = CustomResource<ScimGroupMembersSpec>;

export const scimGroupMembersKind = resourceKind('ScimGroupMembers', 'scimgroupmembers', 'scimgroupmembers', ['sgm']);

export const scimGroupMembersCrd = toCrd(scimGroupMembersKind, {
  description: 'One shard of the members of a ScimGroup, named <group id>-<shard>.',
  spec: scimGroupMembersSpecSchema,
  printerColumns: [
    { name: 'Group', type: 'string', jsonPath: '.spec.group' },
    { name: 'Shard', type: 'integer', jsonPath: '.spec.shard' },
  ],
});
