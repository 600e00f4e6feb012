import { z } from 'zod';
import { type CustomResource, resourceKind, toCrd } from './crd-builder.ts';

/**
 * Members of one group are spread over shards by a hash of the member id, so that adding or removing a member reads
 * and writes one shard, and no object grows past the etcd request limit (docs/adr/0004-group-membership-shards.md).
 * A shard lists its member ids by type, as plain strings (docs/adr/0023-member-shards-as-id-lists.md): the API
 * server's cost of a write grows with the number of list element objects. A shard at depth `bits` holds the members
 * whose hash modulo 2^bits is its number, and splits in two one level deeper when it fills
 * (docs/adr/0025-member-shards-that-split.md), so the bytes one member change writes stay bounded whatever the
 * group's size.
 */
/** The depth of a shard written before shards split (16 shards, ADR 0004), and of one without `bits`. */
export const LEGACY_SHARD_DEPTH = 4;
/** The deepest a shard goes: 256 shards, the most `shard` allows. */
export const MAX_SHARD_DEPTH = 8;
/**
 * A shard splits when an add would take it past this many ids: ~40 KB of JSON, which the API server writes in
 * ~9 ms p50 and ~32 ms p99 when quiet (ADR 0023's measurements at 1,000 ids).
 */
export const SPLIT_SHARD_AT = 1_000;
/**
 * Capacity of one shard, users and groups together. A member id is ~40 bytes in JSON (a UUID, quotes, a comma), so a
 * full shard of ids is ~0.5 MB, and a full shard in the legacy layout (~70 bytes a member) stays under 1 MiB. A
 * shard past `SPLIT_SHARD_AT` only reaches it at the deepest level (256 shards, ~256,000 members with an even hash)
 * or as a legacy shard not yet split.
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
    shard: z
      .int()
      .min(0)
      .max(255)
      .describe('The shard number: the members whose id hashes to it modulo 2^bits are here.'),
    bits: z
      .int()
      .min(0)
      .max(MAX_SHARD_DEPTH)
      .optional()
      .describe(
        'The depth of this shard: it holds the members whose hash modulo 2^bits is its number. Absent means 4 (16 shards, before shards split).',
      ),
    sealed: z
      .boolean()
      .optional()
      .describe(
        'Set while the shard splits in two: no member change writes a sealed shard; whoever meets it finishes the split.',
      ),
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
