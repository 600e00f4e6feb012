import { z } from 'zod';
import { type CustomResource, resourceKind, toCrd } from './crd-builder.ts';

/**
 * Members of one group are spread over a fixed number of shards by a hash of the member id, so that adding or
 * removing a member reads and writes exactly one shard, and no object grows past the etcd request limit
 * (docs/adr/0004-group-membership-shards.md). A shard lists its member ids by type, as plain strings
 * (docs/adr/0023-member-shards-as-id-lists.md): the API server's cost of a write grows with the number of list
 * element objects, and a list of strings costs about a fifth of a list of `{value, type}` objects.
 */
export const MEMBER_SHARDS = 16;
/**
 * Capacity of one shard, users and groups together. A member id is ~40 bytes in JSON (a UUID, quotes, a comma), so a
 * full shard of ids is ~0.5 MB, and a full shard in the legacy layout (~70 bytes a member) stays under 1 MiB. 16
 * shards hold 192,000 members.
 */
export const MAX_MEMBERS_PER_SHARD = 12_000;

const memberIds = (kind: string) =>
  z
    .array(z.string().min(1).max(253))
    .max(MAX_MEMBERS_PER_SHARD)
    .optional()
    .describe(`The SCIM ids of the ${kind} in this shard.`)
    .meta({ 'x-kubernetes-list-type': 'set' });

export const scimGroupMembersSpecSchema = z
  .object({
    group: z.string().min(1).max(253).describe('The SCIM id (object name) of the ScimGroup these members belong to.'),
    shard: z.int().min(0).max(255).describe('The shard number: hash(member id) modulo the shard count.'),
    users: memberIds('users who are members'),
    groups: memberIds('groups that are members'),
    members: z
      .array(
        z.object({
          value: z.string().min(1).max(253).describe('The SCIM id of the member.'),
          type: z.enum(['User', 'Group']).optional().describe('The kind of member; absent means User.'),
        }),
      )
      .max(MAX_MEMBERS_PER_SHARD)
      .optional()
      .describe(
        'Legacy layout (before docs/adr/0023): the members as objects. Read, never written: the next change of the shard replaces it with users and groups.',
      )
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
