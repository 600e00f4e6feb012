import { labels } from '../api/labels.ts';
import type { ScimGroup } from '../api/scim-group.ts';
import type { ScimUser } from '../api/scim-user.ts';
import type { Settings } from '../settings.ts';
import type { ClusterReader } from './cluster-reader.ts';
import type { GrantContext } from './user-grants.ts';

export interface OperatorLocation {
  settingsFile?: string;
  operatorNamespace: string;
  configMap: string;
}

/**
 * Everything but the users: mappings, namespaces, settings, groups and memberships. These are loaded whole (their
 * size grows with groups and memberships, not with users); users are streamed by the commands.
 */
export interface AccessContext extends GrantContext {
  settings: Settings;
  groups: ReadonlyMap<string, ScimGroup>;
  memberships: ReadonlyMap<string, string[]>;
  groupsOf(user: ScimUser): ScimGroup[];
}

export async function loadAccessContext(
  reader: ClusterReader,
  where: OperatorLocation,
  warn: (message: string) => void,
  now = new Date(),
): Promise<AccessContext> {
  const [settings, mappings, namespaces, groupList, memberships] = await Promise.all([
    reader.settings({ file: where.settingsFile, namespace: where.operatorNamespace, configMap: where.configMap }, warn),
    reader.mappings(),
    reader.namespaces(),
    reader.groups(),
    reader.membershipsByUser(),
  ]);
  const groups = new Map(groupList.map((g) => [g.metadata.name, g]));
  const served = new Set(settings.connections);
  // As the operator does without configured connections: every connection that owns identities. Groups stand in
  // for users here (users are streamed), so a connection with users but no group is missed; configure it.
  if (served.size === 0)
    for (const g of groupList) {
      const connection = g.metadata.labels?.[labels.connection];
      if (connection) served.add(connection);
    }
  return {
    mappings,
    namespaces,
    settings,
    served,
    operatorNamespace: where.operatorNamespace,
    now,
    groups,
    memberships,
    groupsOf: (user) => (memberships.get(user.metadata.name) ?? []).flatMap((id) => groups.get(id) ?? []),
  };
}

/** How the operator treats the user: suspended (the label) wins over inactive; deleting over both. */
export function userState(user: ScimUser): 'active' | 'inactive' | 'suspended' | 'deleting' {
  if (user.metadata.deletionTimestamp) return 'deleting';
  if (user.metadata.labels?.[labels.suspended] === 'true') return 'suspended';
  if (user.spec.active === false) return 'inactive';
  return 'active';
}
