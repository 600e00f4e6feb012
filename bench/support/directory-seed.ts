/**
 * A company directory written straight to the API server, grown in steps, for the memory benchmark: users as POST
 * /Users stores them (without the uniqueness claims: the operator caches no claims), groups as POST /Groups stores
 * them, and their member shards as a member PATCH creates them (client-side create, so the API server records field
 * ownership of every member key, as it does for the endpoint's first write to a shard).
 *
 * The shape, for `users` = N: N/20 groups; group 0 ("everyone") holds every user; group j ≥ 1 holds the 100 users
 * from 20·(j−1), so each user is in about 5 of them. About 6 memberships per user: 100,000 users give 5,000 groups,
 * one of 100,000 members and ~600,000 memberships in all, the company of issue 15.
 */

import type { KubeConfig } from '@kubernetes/client-node';
import { annotations } from '../../src/api/labels.ts';
import { type ScimGroup, scimGroupKind } from '../../src/api/scim-group.ts';
import { type ScimGroupMembers, scimGroupMembersKind } from '../../src/api/scim-group-members.ts';
import { type ScimUser, scimUserKind } from '../../src/api/scim-user.ts';
import type { StoredMember } from '../../src/scim/store.ts';
import { ResourceClient } from '../../src/store/kube-client.ts';
import { layoutShards, shardName, shardObject, shardSpec } from '../../src/store/member-shards.ts';
import { indexLabels, toSpec } from '../../src/store/resource-mapping.ts';
import { inParallel } from './measure.ts';
import { scimUserObject, userAttributes } from './seed.ts';

export const USERS_PER_GROUP = 20;
const TEAM_SIZE = 100;
const TEAM_STEP = 20;

export interface DirectorySize {
  users: number;
  groups: number;
  memberships: number;
  shards: number;
}

/** What the directory holds once grown to `users` (see the file comment). */
export function directoryShape(users: number): { groups: number; membersOf: (group: number) => number[] } {
  const groups = Math.max(1, Math.floor(users / USERS_PER_GROUP));
  return {
    groups,
    membersOf(group) {
      if (group === 0) return Array.from({ length: users }, (_, i) => i);
      const from = TEAM_STEP * (group - 1);
      return Array.from({ length: Math.max(0, Math.min(TEAM_SIZE, users - from)) }, (_, i) => from + i);
    },
  };
}

/** Grows a directory in place: `grow(n)` adds users and groups up to size `n`, and the new users to group 0. */
export class DirectorySeed {
  private readonly users: ResourceClient<ScimUser>;
  private readonly groups: ResourceClient<ScimGroup>;
  private readonly shards: ResourceClient<ScimGroupMembers>;
  private readonly connection: string;
  private readonly concurrency: number;
  private readonly userIds: string[] = [];
  private readonly groupObjects: ScimGroup[] = [];
  private memberships = 0;
  private shardCount = 0;

  constructor(kc: KubeConfig, connection: string, concurrency = 32) {
    this.users = new ResourceClient<ScimUser>(kc, scimUserKind.kind, scimUserKind.plural);
    this.groups = new ResourceClient<ScimGroup>(kc, scimGroupKind.kind, scimGroupKind.plural);
    this.shards = new ResourceClient<ScimGroupMembers>(kc, scimGroupMembersKind.kind, scimGroupMembersKind.plural);
    this.connection = connection;
    this.concurrency = concurrency;
  }

  size(): DirectorySize {
    return {
      users: this.userIds.length,
      groups: this.groupObjects.length,
      memberships: this.memberships,
      shards: this.shardCount,
    };
  }

  async grow(users: number): Promise<DirectorySize> {
    const from = this.userIds.length;
    if (users <= from) return this.size();
    const ids = Array.from({ length: users - from }, () => crypto.randomUUID());
    await inParallel(ids.length, this.concurrency, async (i) => {
      await this.users.create(scimUserObject(this.connection, ids[i]!, userAttributes('member', from + i)));
    });
    this.userIds.push(...ids);

    const shape = directoryShape(users);
    const firstNewGroup = this.groupObjects.length;
    const created: ScimGroup[] = new Array(shape.groups - firstNewGroup);
    await inParallel(created.length, this.concurrency, async (i) => {
      created[i] = await this.groups.create(this.groupObject(firstNewGroup + i));
    });
    this.groupObjects.push(...created);

    // Group 0 gains the new users; a new group j ≥ 1 gets its whole team. Older teams are left as they were. A
    // changed group's shards are written whole in the layout the store would have reached (ADR 0025): a larger
    // member set only splits shards further, so rewriting every shard of the new layout leaves none stale.
    const edits: Array<{ group: ScimGroup; members: string[] }> = [];
    edits.push({ group: this.groupObjects[0]!, members: this.userIds.slice(0, users) });
    this.memberships += users - from;
    for (let g = Math.max(1, firstNewGroup); g < shape.groups; g++) {
      const members = shape.membersOf(g).map((i) => this.userIds[i]!);
      edits.push({ group: this.groupObjects[g]!, members });
      this.memberships += members.length;
    }
    const writes: Array<{ group: ScimGroup; shard: number; depth: number; members: StoredMember[] }> = [];
    for (const { group, members } of edits) {
      const layout = layoutShards(
        members.map((value) => ({ value, type: 'User' as const })),
        0,
      );
      for (const [shard, { depth, members: held }] of layout) writes.push({ group, shard, depth, members: held });
    }
    await inParallel(writes.length, this.concurrency, async (i) => {
      const { group, shard, depth, members } = writes[i]!;
      await this.writeShard(group, shard, depth, members);
    });
    return this.size();
  }

  private groupObject(index: number): Omit<ScimGroup, 'apiVersion' | 'kind'> {
    const attributes = { displayName: index === 0 ? 'Everyone' : `Team ${index}`, externalId: `team-ext-${index}` };
    const created = new Date().toISOString();
    return {
      metadata: {
        name: crypto.randomUUID(),
        labels: indexLabels(this.connection, 'Group', attributes),
        // As the store creates a group: its member shards start at depth 0 and split as they fill (ADR 0025).
        annotations: {
          [annotations.created]: created,
          [annotations.lastModified]: created,
          [annotations.memberShardDepth]: '0',
        },
      },
      spec: toSpec('Group', attributes),
    } as Omit<ScimGroup, 'apiVersion' | 'kind'>;
  }

  private async writeShard(group: ScimGroup, shard: number, depth: number, members: StoredMember[]): Promise<void> {
    const name = shardName(group.metadata.name, shard);
    let current: ScimGroupMembers | undefined;
    try {
      current = await this.shards.get(name);
    } catch {
      current = undefined;
    }
    if (current) {
      // As group-member-writes.ts does: a replace clears field ownership rather than list every member key again.
      await this.shards.replace({
        ...current,
        metadata: { ...current.metadata, managedFields: [{}] } as ScimGroupMembers['metadata'],
        spec: shardSpec(group.metadata.name, shard, members, depth),
      });
      return;
    }
    this.shardCount++;
    await this.shards.create(shardObject(group, shardSpec(group.metadata.name, shard, members, depth)));
  }
}
