import { labels } from '../api/labels.ts';
import type { ScimUser } from '../api/scim-user.ts';
import type { AccessContext } from './access-context.ts';
import type { Output } from './output.ts';
import { csvHeader, csvRow, type ReportRow, reportRows, TABLE_COLUMNS } from './report-rows.ts';
import { renderTable } from './table.ts';

export type ReportFormat = 'table' | 'csv' | 'json';

export const REPORT_HELP = `Print one row per user and grant, for access reviews.

Usage:
  kubectl scim report [--format table|csv|json] [--connection C] [--namespace N] [flags]

Columns (stable; see docs/access-reviews.md): userName, userId, connection, userState, namespace (* for
cluster-wide), roleKind, role, mapping, mappingPhase, via, userCreated, mappingCreated, mappingExpiresAt.

Options:
  --format table|csv|json   table (default) prints a subset of columns; csv (RFC 4180) and json print all
  --connection C            only users written through SCIM connection C
  --namespace N             only grants in namespace N (cluster-wide grants are kept: they reach N too)
  --page-size N             users read per API request (default 500); csv and json stream page by page
`;

/**
 * Streams users page by page: csv and json write each page before the next is read, so memory stays bounded by
 * one page plus the access context. A table needs every row to size its columns, so it holds the rows (not the users).
 */
export async function runReport(
  pages: AsyncIterable<ScimUser[]>,
  context: AccessContext,
  options: { format: ReportFormat; namespace?: string },
  out: Output,
): Promise<{ users: number; rows: number }> {
  let users = 0;
  let rows = 0;
  const table: ReportRow[] = [];
  if (options.format === 'csv') await out.write(csvHeader());
  if (options.format === 'json') await out.write('[');
  for await (const page of pages) {
    let chunk = '';
    for (const user of page) {
      // The deprovisioning drill's canary is no person: access reviews never list it.
      if (user.metadata.labels?.[labels.canary] === 'true') continue;
      users++;
      for (const row of reportRows(user, context, options.namespace)) {
        if (options.format === 'csv') chunk += csvRow(row);
        else if (options.format === 'json') chunk += `${rows === 0 ? '\n' : ',\n'}${JSON.stringify(row)}`;
        else table.push(row);
        rows++;
      }
    }
    if (chunk) await out.write(chunk);
  }
  if (options.format === 'json') await out.write(rows === 0 ? ']\n' : '\n]\n');
  if (options.format === 'table') {
    if (table.length === 0) out.error('No grants found.\n');
    else
      await out.write(
        renderTable(
          TABLE_COLUMNS,
          table.map((r) => TABLE_COLUMNS.map((c) => r[c])),
        ),
      );
  }
  return { users, rows };
}
