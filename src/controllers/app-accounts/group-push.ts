import { createHash } from 'node:crypto';
import type { DownstreamAppStatus } from '../../api/downstream-app.ts';
import type { PatchOperation, ScimClient } from '../../downstream/scim-client.ts';

export type PushedGroup = NonNullable<DownstreamAppStatus['groups']>[number];

export interface WantedGroup {
  displayName: string;
  /** Remote ids of the members' accounts in the app. */
  members: string[];
}

const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';

export function membersHash(ids: readonly string[]): string {
  return createHash('sha256')
    .update(JSON.stringify([...ids].sort()))
    .digest('hex')
    .slice(0, 16);
}

/**
 * Keeps the app's groups equal to `wanted`: each group exists (found by displayName, else created) and its members
 * are exactly the given accounts, changed with PATCH add/remove of the difference. A group whose members hash is
 * unchanged costs no request. Groups pushed before and no longer wanted are deleted from the app, unless `frozen`
 * names them (lower-cased displayNames of suspended mappings' groups).
 */
export async function pushGroups(
  client: ScimClient,
  wanted: readonly WantedGroup[],
  current: readonly PushedGroup[],
  signal?: AbortSignal,
  frozen: ReadonlySet<string> = new Set(),
): Promise<PushedGroup[]> {
  const out: PushedGroup[] = [];
  const key = (name: string) => name.toLowerCase();
  const currentByName = new Map(current.map((g) => [key(g.displayName), g]));
  for (const group of [...wanted].sort((a, b) => a.displayName.localeCompare(b.displayName))) {
    const hash = membersHash(group.members);
    const known = currentByName.get(key(group.displayName));
    if (known?.remoteId && known.membersHash === hash) {
      out.push(known);
      continue;
    }
    let remote = known?.remoteId ? await client.get('Groups', known.remoteId, signal) : undefined;
    remote ??= (await client.findGroups(group.displayName, signal))[0];
    if (!remote) {
      const created = await client.create(
        'Groups',
        { schemas: [GROUP_SCHEMA], displayName: group.displayName, members: group.members.map((value) => ({ value })) },
        signal,
      );
      out.push({
        displayName: group.displayName,
        remoteId: created.id,
        members: group.members.length,
        membersHash: hash,
      });
      continue;
    }
    const have = new Set(
      ((remote.members as { value?: string }[] | undefined) ?? []).map((m) => m.value).filter((v) => v !== undefined),
    );
    const want = new Set(group.members);
    const ops: PatchOperation[] = [];
    const added = [...want].filter((id) => !have.has(id));
    if (added.length) ops.push({ op: 'add', path: 'members', value: added.map((value) => ({ value })) });
    for (const id of have) if (!want.has(id)) ops.push({ op: 'remove', path: `members[value eq "${id}"]` });
    if (ops.length) await client.patch('Groups', remote.id, ops, signal);
    out.push({ displayName: group.displayName, remoteId: remote.id, members: want.size, membersHash: hash });
  }
  const wantedNames = new Set(wanted.map((g) => key(g.displayName)));
  for (const old of current) {
    if (wantedNames.has(key(old.displayName))) continue;
    // A group of a suspended mapping is frozen: kept as pushed, neither updated nor deleted.
    if (frozen.has(key(old.displayName))) out.push(old);
    else if (old.remoteId) await client.delete('Groups', old.remoteId, signal);
  }
  return out;
}
