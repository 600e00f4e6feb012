import { labels } from '../api/labels.ts';
import type { ScimUser } from '../api/scim-user.ts';
import type { AccessContext } from './access-context.ts';
import { userState } from './access-context.ts';
import { csvRecord } from './csv.ts';
import { grantsOfUser } from './user-grants.ts';

/**
 * The columns of `kubectl scim report`, in order. Their names are a stable interface (docs/access-reviews.md):
 * columns may be added at the end, never renamed or removed.
 */
export const REPORT_COLUMNS = [
  'userName',
  'userId',
  'connection',
  'userState',
  'namespace',
  'roleKind',
  'role',
  'mapping',
  'mappingPhase',
  'via',
  'userCreated',
  'mappingCreated',
  'mappingExpiresAt',
] as const;

export type ReportRow = Record<(typeof REPORT_COLUMNS)[number], string>;

/** `namespace` is `*` for a ClusterRoleBinding (cluster-wide). `via` joins the provenance with spaces. */
export function reportRows(user: ScimUser, context: AccessContext, onlyNamespace?: string): ReportRow[] {
  const grants = grantsOfUser(user, context.groupsOf(user), context);
  return grants
    .filter((g) => !onlyNamespace || g.namespace === onlyNamespace || g.namespace === undefined)
    .map((g) => ({
      userName: user.spec.userName,
      userId: user.metadata.name,
      connection: user.metadata.labels?.[labels.connection] ?? '',
      userState: userState(user),
      namespace: g.namespace ?? '*',
      roleKind: g.roleKind,
      role: g.role,
      mapping: g.mapping,
      mappingPhase: g.mappingPhase,
      via: g.via.join(' '),
      userCreated: (user.metadata.creationTimestamp as string | undefined) ?? '',
      mappingCreated: g.mappingCreated ?? '',
      mappingExpiresAt: g.mappingExpiresAt ?? '',
    }));
}

export function csvHeader(): string {
  return csvRecord(REPORT_COLUMNS);
}

export function csvRow(row: ReportRow): string {
  return csvRecord(REPORT_COLUMNS.map((c) => row[c]));
}

/** The table shows the columns a reviewer reads; CSV and JSON carry all of them. */
export const TABLE_COLUMNS = ['userName', 'userState', 'namespace', 'role', 'mapping', 'via'] as const;
