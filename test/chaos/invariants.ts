import { CustomObjectsApi, type KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { subjectCan } from '../support/cluster.ts';
import type { EntraClient } from './entra-client.ts';
import type { UnexpectedReply } from './entra-load.ts';
import type { SecretGap } from './fault-injector.ts';
import type { Ledger, UserRecord } from './ledger.ts';
import type { Attempt, ResponseLog } from './response-log.ts';
import type { ReplicaExit, TokenSample } from './scim-replicas.ts';

/** One line of the table printed at the end of a run; `pass` undefined marks a count reported for information. */
export interface InvariantRow {
  invariant: string;
  pass?: boolean;
  detail: string;
}

export interface RunEvidence {
  admin: KubeConfig;
  appNamespace: string;
  mappingName: string;
  groupId: string;
  ledger: Ledger;
  log: ResponseLog;
  unexpected: UnexpectedReply[];
  exits: ReplicaExit[];
  tokenSamples: TokenSample[];
  secretGaps: SecretGap[];
  /** Reads the SCIM endpoint for verification; its attempts are not part of the load's statistics. */
  reader: EntraClient;
  settledAt: number;
}

/** What the SCIM endpoint reports about one user at the end of a run. */
export interface Observed {
  exists: boolean;
  active: boolean;
  member: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const deployments = (namespace: string) => ({ namespace, verb: 'create', group: 'apps', resource: 'deployments' });
const list = (names: string[], max = 6) =>
  names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} … (+${names.length - max})`;

/** Polls `check` (which returns the failures it found) until it finds none or `deadline` passes. */
async function until(deadline: number, check: () => Promise<string[]>): Promise<{ failures: string[]; at: number }> {
  for (;;) {
    const failures = await check().catch((err: Error) => [`check failed: ${err.message}`]);
    if (failures.length === 0 || Date.now() > deadline) return { failures, at: Date.now() };
    await sleep(250);
  }
}

/** What the SCIM endpoint says now about every user the load created, and the group's members. */
async function observe(e: RunEvidence): Promise<Map<UserRecord, Observed>> {
  const group = await e.reader.send('GET', `/Groups/${e.groupId}`);
  if (group?.status !== 200) throw new Error(`GET the group answered ${group?.status ?? 'nothing'}`);
  const members = new Set<string>((group.body.members ?? []).map((m: { value: string }) => m.value));
  const observed = new Map<UserRecord, Observed>();
  for (const user of e.ledger.users) {
    if (user.id === undefined) continue;
    const reply = await e.reader.send('GET', `/Users/${user.id}`);
    if (reply?.status !== 200 && reply?.status !== 404)
      throw new Error(`GET ${user.userName} answered ${reply?.status}`);
    observed.set(user, {
      exists: reply.status === 200,
      active: reply.status === 200 && reply.body.active !== false,
      member: members.has(user.id),
    });
  }
  return observed;
}

/** Acknowledged values the server does not hold; a deleted-and-reprovisioned user's old id must stay gone. */
export function acknowledgedWritesMissing(ledger: Ledger, observed: Map<UserRecord, Observed>): string[] {
  const missing: string[] = [];
  for (const user of ledger.users) {
    const seen = observed.get(user);
    if (!seen) continue;
    if (user.exists.certain && seen.exists !== user.exists.value) {
      missing.push(`${user.userName} ${user.exists.value ? 'missing' : 'not deleted'}`);
      continue;
    }
    if (!seen.exists || !user.exists.value) continue;
    if (user.active.certain && seen.active !== user.active.value) {
      missing.push(`${user.userName} active=${seen.active}, acknowledged ${user.active.value}`);
    }
    if (user.member.certain && seen.member !== user.member.value) {
      missing.push(`${user.userName} member=${seen.member}, acknowledged ${user.member.value}`);
    }
  }
  return missing;
}

/** Users who should hold the mapping's role: acknowledged values where certain, else what the server holds. */
export function expectedSubjects(ledger: Ledger, observed: Map<UserRecord, Observed>): Set<string> {
  const expected = new Set<string>();
  for (const user of ledger.current()) {
    const seen = observed.get(user);
    if (!seen) continue;
    const value = (attribute: keyof Observed) => (user[attribute].certain ? user[attribute].value : seen[attribute]);
    if (value('exists') && value('active') && value('member')) expected.add(user.userName);
  }
  return expected;
}

async function boundSubjects(e: RunEvidence): Promise<Set<string>> {
  const bindings = await e.admin
    .makeApiClient(RbacAuthorizationV1Api)
    .listNamespacedRoleBinding({ namespace: e.appNamespace });
  const subjects = new Set<string>();
  for (const b of bindings.items) {
    if (!b.metadata?.name?.startsWith(`scim:${e.mappingName}:`)) continue;
    for (const s of b.subjects ?? []) if (s.kind === 'User') subjects.add(s.name);
  }
  return subjects;
}

/** A 401 is legitimate only while the Secret was gone and the replica had seen it go (its token gauge at 0). */
export function legitimate401(a: Attempt, secretGaps: SecretGap[], tokenSamples: TokenSample[]): boolean {
  const gap = secretGaps.find((g) => a.startedAt <= g.recreatedAt + 15_000 && a.endedAt >= g.deletedAt);
  if (!gap) return false;
  return tokenSamples.some(
    (s) => s.replica === a.replica && !s.knowsToken && s.at >= gap.deletedAt && s.at <= a.endedAt + 250,
  );
}

export async function checkInvariants(e: RunEvidence): Promise<InvariantRow[]> {
  const rows: InvariantRow[] = [];
  const seconds = (at: number) => `${((at - e.settledAt) / 1000).toFixed(1)} s after settling`;

  let observed = new Map<UserRecord, Observed>();
  const present = await until(e.settledAt + 10_000, async () => {
    observed = await observe(e);
    return acknowledgedWritesMissing(e.ledger, observed);
  });
  const certain = e.ledger.users.filter((u) => u.id !== undefined && u.exists.certain).length;
  rows.push({
    invariant: 'every acknowledged write is present with its last acknowledged value',
    pass: present.failures.length === 0,
    detail:
      present.failures.length === 0 ? `${certain} users checked (${seconds(present.at)})` : list(present.failures),
  });

  const revoked = e.ledger
    .current()
    .filter((u) => u.exists.certain && (!u.exists.value || (u.active.certain && !u.active.value)));
  const denied = await until(e.settledAt + 5_000, async () => {
    const allowed: string[] = [];
    for (const u of revoked) {
      if (await subjectCan(e.admin, { user: u.userName }, deployments(e.appNamespace))) allowed.push(u.userName);
    }
    return allowed;
  });
  rows.push({
    invariant: 'every acknowledged deactivation or deletion is denied by a SubjectAccessReview within 5 s',
    pass: denied.failures.length === 0,
    detail:
      denied.failures.length === 0
        ? `${revoked.length} users denied (${seconds(denied.at)})`
        : `still allowed: ${list(denied.failures)}`,
  });

  const crs = (await e.admin.makeApiClient(CustomObjectsApi).listClusterCustomObject({
    group: 'scim-operator.dev',
    version: 'v1alpha1',
    plural: 'scimusers',
  })) as { items: { spec: { userName: string } }[] };
  const byName = new Map<string, number>();
  for (const item of crs.items) {
    const key = item.spec.userName.toLowerCase();
    byName.set(key, (byName.get(key) ?? 0) + 1);
  }
  const duplicates = [...byName].filter(([, n]) => n > 1).map(([name, n]) => `${name}×${n}`);
  rows.push({
    invariant: 'no duplicate userName',
    pass: duplicates.length === 0,
    detail: duplicates.length === 0 ? `${crs.items.length} ScimUsers, all distinct` : list(duplicates),
  });

  const bindings = await until(e.settledAt + 10_000, async () => {
    const expected = expectedSubjects(e.ledger, observed);
    const actual = await boundSubjects(e);
    return [
      ...[...expected].filter((s) => !actual.has(s)).map((s) => `missing ${s}`),
      ...[...actual].filter((s) => !expected.has(s)).map((s) => `extra ${s}`),
    ];
  });
  rows.push({
    invariant: 'RoleBinding subjects equal what the AccessMapping says',
    pass: bindings.failures.length === 0,
    detail:
      bindings.failures.length === 0
        ? `${expectedSubjects(e.ledger, observed).size} subjects (${seconds(bindings.at)})`
        : list(bindings.failures),
  });

  const unexpectedExits = e.exits.filter((x) => !x.killed);
  rows.push({
    invariant: 'no SCIM replica exited except those killed',
    pass: unexpectedExits.length === 0,
    detail:
      `${e.exits.filter((x) => x.killed).length} killed; ` +
      (unexpectedExits.length === 0
        ? 'no other exit'
        : list(unexpectedExits.map((x) => `replica ${x.replica} exited with status ${x.code}`))),
  });

  const errors = e.log.withStatus((s) => s >= 500 || s === 429);
  const bare = errors.filter((a) => a.outcome.retryAfter === undefined);
  rows.push({
    invariant: 'every 5xx/429 carries Retry-After',
    pass: bare.length === 0,
    detail: `${errors.length} 5xx/429 (${list([...new Set(errors.map((a) => String(a.outcome.status)))])}), ${bare.length} without Retry-After`,
  });

  const unauthorized = e.log.withStatus((s) => s === 401);
  const wrong401 = unauthorized.filter((a) => !legitimate401(a, e.secretGaps, e.tokenSamples));
  rows.push({
    invariant: 'no 401 while the token Secret existed',
    pass: wrong401.length === 0,
    detail:
      `${unauthorized.length - wrong401.length} legitimate (Secret gone and the replica knew), ${wrong401.length} not` +
      (wrong401.length > 0
        ? `: ${list(
            wrong401.map(
              (a) => `replica ${a.replica} ${a.method} ${a.path} at ${new Date(a.endedAt).toISOString().slice(11, 23)}`,
            ),
            3,
          )}`
        : ''),
  });

  rows.push({
    invariant: 'every Entra request is accepted (no 4xx but a retried create 409 / delete 404)',
    pass: e.unexpected.length === 0,
    detail:
      e.unexpected.length === 0
        ? 'none rejected'
        : list(
            e.unexpected.map((u) => `${u.operation} ${u.userName}: ${u.status} ${u.detail}`),
            3,
          ),
  });

  const uncertain = e.ledger.users.flatMap((u) =>
    (['exists', 'active', 'member'] as const).filter((a) => !u[a].certain).map((a) => `${u.userName}.${a}`),
  );
  rows.push({
    invariant: 'load: attempts / client timeouts / connection errors',
    detail: `${e.log.attempts.length} attempts, ${e.log.count('timeout')} client timeouts, ${e.log.count('connection')} connection errors`,
  });
  rows.push({
    invariant: 'load: writes whose outcome stayed unknown (judged by server state)',
    detail: uncertain.length === 0 ? 'none' : list(uncertain),
  });
  return rows;
}

export function formatTable(rows: InvariantRow[]): string {
  const result = (r: InvariantRow) => (r.pass === undefined ? 'info' : r.pass ? 'PASS' : 'FAIL');
  const width = Math.max(...rows.map((r) => r.invariant.length));
  return rows.map((r) => `| ${r.invariant.padEnd(width)} | ${result(r).padEnd(4)} | ${r.detail} |`).join('\n');
}
