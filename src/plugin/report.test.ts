import { describe, expect, it } from 'vitest';
import type { ScimUser } from '../api/scim-user.ts';
import { defaultSettings, group, mapping, user } from '../controllers/role-bindings/identity-fixtures.test-support.ts';
import type { AccessContext } from './access-context.ts';
import { bufferOutput } from './output.ts';
import { runReport } from './report.ts';
import { REPORT_COLUMNS } from './report-rows.ts';

const ops = group('g1', 'Ops, "core"');
const groups = new Map([[ops.metadata.name, ops]]);
const memberships = new Map([
  ['u1', ['g1']],
  ['u2', ['g1']],
]);
const context: AccessContext = {
  mappings: [
    mapping('ops-edit', {
      subjects: { groups: [{ displayName: 'ops, "CORE"' }] },
      roleBindings: [{ clusterRole: 'edit', namespaces: ['team-a'] }],
    }),
  ],
  namespaces: [{ name: 'team-a', labels: {} }],
  settings: defaultSettings,
  served: new Set(['entra']),
  now: new Date('2026-01-01T00:00:00Z'),
  groups,
  memberships,
  groupsOf: (u) => (memberships.get(u.metadata.name) ?? []).flatMap((id) => groups.get(id) ?? []),
};

async function* pagesOf(pages: ScimUser[][], pulled: number[], out: { stdout: string }) {
  for (const page of pages) {
    pulled.push(out.stdout.length);
    yield page;
  }
}

describe('runReport', () => {
  it('writes a CSV header and one quoted row per grant, page by page', async () => {
    const out = bufferOutput();
    const pulled: number[] = [];
    const pages = [[user('u1', 'ada@example.com')], [user('u2', 'bob@example.com'), user('u3', 'cy@example.com')]];
    const result = await runReport(pagesOf(pages, pulled, out), context, { format: 'csv' }, out);
    expect(result).toEqual({ users: 3, rows: 2 });
    const lines = out.stdout.split('\r\n');
    expect(lines[0]).toBe(REPORT_COLUMNS.join(','));
    expect(lines[1]).toBe(
      'ada@example.com,u1,entra,active,team-a,ClusterRole,edit,ops-edit,Active,"group:Ops, ""core""",,,',
    );
    expect(lines).toHaveLength(4);
    // The second page was pulled only after the first page's row had been written: nothing waits for the end.
    expect(pulled[1]).toBeGreaterThan(lines[0]!.length + 2);
  });

  it('writes the same rows as a JSON array, and an empty array when there is none', async () => {
    const out = bufferOutput();
    await runReport(pagesOf([[user('u1', 'ada@example.com')]], [], out), context, { format: 'json' }, out);
    expect(JSON.parse(out.stdout)).toEqual([
      expect.objectContaining({ userName: 'ada@example.com', via: 'group:Ops, "core"' }),
    ]);
    const empty = bufferOutput();
    await runReport(pagesOf([[user('u3', 'cy@example.com')]], [], empty), context, { format: 'json' }, empty);
    expect(JSON.parse(empty.stdout)).toEqual([]);
  });

  it('prints a kubectl-style table, and says so on stderr when there are no grants', async () => {
    const out = bufferOutput();
    await runReport(pagesOf([[user('u1', 'ada@example.com')]], [], out), context, { format: 'table' }, out);
    expect(out.stdout).toBe(
      'USERNAME          USERSTATE   NAMESPACE   ROLE   MAPPING    VIA\n' +
        'ada@example.com   active      team-a      edit   ops-edit   group:Ops, "core"\n',
    );
    const none = bufferOutput();
    await runReport(pagesOf([[user('u3', 'cy@example.com')]], [], none), context, { format: 'table' }, none);
    expect(none.stdout).toBe('');
    expect(none.stderr).toBe('No grants found.\n');
  });

  it("leaves out the deprovisioning drill's canary, which is no person", async () => {
    const out = bufferOutput();
    const canary = user('u2', 'canary@drill.invalid');
    canary.metadata.labels = { ...canary.metadata.labels, 'scim-operator.dev/canary': 'true' };
    const result = await runReport(
      pagesOf([[canary, user('u1', 'ada@example.com')]], [], out),
      context,
      { format: 'csv' },
      out,
    );
    expect(result).toEqual({ users: 1, rows: 1 });
    expect(out.stdout).not.toContain('canary@drill.invalid');
  });

  it('keeps only the grants in the namespace asked for', async () => {
    const out = bufferOutput();
    const result = await runReport(
      pagesOf([[user('u1', 'ada@example.com')]], [], out),
      context,
      { format: 'csv', namespace: 'team-b' },
      out,
    );
    expect(result.rows).toBe(0);
  });
});
