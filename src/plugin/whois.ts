import { RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { labels } from '../api/labels.ts';
import type { ScimUser } from '../api/scim-user.ts';
import { mayHold } from '../controllers/selection/selection.ts';
import { userSubject } from '../controllers/shared/subject-name.ts';
import { indexHash, userNameHash } from '../store/resource-mapping.ts';
import type { AccessChecker } from './access-check.ts';
import { type AccessContext, userState } from './access-context.ts';
import type { ClusterReader } from './cluster-reader.ts';
import type { Output } from './output.ts';
import { indent, renderFields, renderTable } from './table.ts';
import { unmanagedGrants } from './unmanaged-grants.ts';
import { grantsOfUser, ownSubjects } from './user-grants.ts';

export const WHOIS_HELP = `Show who a SCIM user is and what access they hold, why, and whether the cluster agrees.

Usage:
  kubectl scim whois <userName|email|id> [--connection C] [flags]

Prints the identity (connection, state), groups, the grants the operator makes (with the mapping and the group or
direct selection that caused each), downstream accounts (status.apps), bindings not managed by the operator that
name the user's subject, and for every grant a SubjectAccessReview asking the API server whether it agrees.

When no SCIM user matches (deleted, say), it exits 1 and lists the unmanaged bindings whose subject is exactly the
name given: after a hard delete, hand-made access is the part that outlives the user.
`;

/** The user named by id, userName or email (through the store's hash labels); several only across connections. */
export async function findUsers(reader: ClusterReader, who: string, connection?: string): Promise<ScimUser[]> {
  const inScope = (u: ScimUser) => !connection || u.metadata.labels?.[labels.connection] === connection;
  const byId = await reader.user(who);
  if (byId && inScope(byId)) return [byId];
  for (const selector of [
    `${labels.userNameHash}=${userNameHash(who)}`,
    `${labels.emailHash}=${indexHash(who.toLowerCase())}`,
  ]) {
    const found: ScimUser[] = [];
    for await (const page of reader.users(selector)) found.push(...page.filter(inScope));
    if (found.length > 0) return found;
  }
  return [];
}

export async function runWhois(
  user: ScimUser,
  context: AccessContext,
  reader: ClusterReader,
  checker: AccessChecker,
  out: Output,
): Promise<void> {
  const groups = context.groupsOf(user);
  const subject = userSubject(user, context.settings.subjects);
  const subjects = ownSubjects(user, groups, context.settings);
  const grants = grantsOfUser(user, groups, context);
  const rbac = reader.kc.makeApiClient(RbacAuthorizationV1Api);
  const [roleBindings, clusterRoleBindings] = await Promise.all([
    rbac.listRoleBindingForAllNamespaces(),
    rbac.listClusterRoleBinding(),
  ]);
  const unmanaged = unmanagedGrants([...roleBindings.items, ...clusterRoleBindings.items], subjects);
  const sarSubject = {
    user: subject.ok ? subject.name : undefined,
    groups: [...subjects].filter((s) => s.startsWith('Group/')).map((s) => s.slice('Group/'.length)),
  };
  const state = userState(user);
  const email = (user.spec.emails?.find((e) => e.primary) ?? user.spec.emails?.[0])?.value;

  let text = renderFields([
    ['User', user.spec.userName],
    ['Id', user.metadata.name],
    ['Display name', user.spec.displayName ?? ''],
    ['Email', email ?? ''],
    ['External id', user.spec.externalId ?? ''],
    ['Connection', user.metadata.labels?.[labels.connection] ?? ''],
    ['State', state],
    ['Subject', subject.ok ? subject.name : `none (${subject.message})`],
    ['Created', String(user.metadata.creationTimestamp ?? '')],
    [
      'Groups',
      groups
        .map((g) => g.spec.displayName)
        .sort()
        .join(', ') || '<none>',
    ],
  ]);

  text += '\nGrants (made by the operator):\n';
  if (grants.length === 0)
    text += mayHold(user) ? '  none\n' : `  none: the user is ${state}, so the operator grants nothing\n`;
  else {
    const checks = await Promise.all(grants.map((g) => checker.check(sarSubject, g.roleKind, g.role, g.namespace)));
    text += indent(
      renderTable(
        ['namespace', 'role', 'mapping', 'via', 'not before', 'cluster says'],
        grants.map((g, i) => [
          g.namespace ?? '*',
          `${g.roleKind}/${g.role}`,
          g.mappingPhase === 'Suspended' ? `${g.mapping} (suspended)` : g.mapping,
          g.via.join(' '),
          laterOf(String(user.metadata.creationTimestamp ?? ''), g.mappingCreated ?? ''),
          checks[i]!,
        ]),
      ),
    );
  }

  text += '\nDownstream accounts:\n';
  const apps = user.status?.apps ?? [];
  text +=
    apps.length === 0
      ? '  none\n'
      : indent(
          renderTable(
            ['app', 'state', 'since', 'remote id', 'last sync', 'last error'],
            apps.map((a) => [a.app, a.state, a.since ?? '', a.remoteId ?? '', a.lastSyncTime ?? '', a.lastError ?? '']),
          ),
        );

  text += '\nUnmanaged grants (bindings the operator does not manage that name this user):\n';
  if (unmanaged.length === 0) text += '  none\n';
  else {
    const checks = await Promise.all(unmanaged.map((u) => checker.check(sarSubject, u.roleKind, u.role, u.namespace)));
    text += indent(
      renderTable(
        ['binding', 'role', 'subject', 'cluster says', 'flag'],
        unmanaged.map((u, i) => [
          `${u.kind}/${u.namespace ? `${u.namespace}/` : ''}${u.name}`,
          `${u.roleKind}/${u.role}`,
          u.subject,
          checks[i]!,
          mayHold(user) ? '' : `ROGUE: user is ${state}; remove this binding`,
        ]),
      ),
    );
  }
  await out.write(text);
}

/**
 * For a name that matches no ScimUser (deleted, or never provisioned): the bindings the operator does not manage
 * that name `User/<name>`, flagged, since nobody the IdP knows should hold them.
 */
export async function runWhoisOfDeleted(
  name: string,
  reader: ClusterReader,
  checker: AccessChecker,
  out: Output,
): Promise<void> {
  const rbac = reader.kc.makeApiClient(RbacAuthorizationV1Api);
  const [roleBindings, clusterRoleBindings] = await Promise.all([
    rbac.listRoleBindingForAllNamespaces(),
    rbac.listClusterRoleBinding(),
  ]);
  const unmanaged = unmanagedGrants([...roleBindings.items, ...clusterRoleBindings.items], new Set([`User/${name}`]));
  let text = `\nUnmanaged grants naming the subject ${name} (no SCIM user has this name):\n`;
  if (unmanaged.length === 0) text += '  none\n';
  else {
    const checks = await Promise.all(
      unmanaged.map((u) => checker.check({ user: name, groups: [] }, u.roleKind, u.role, u.namespace)),
    );
    text += indent(
      renderTable(
        ['binding', 'role', 'cluster says', 'flag'],
        unmanaged.map((u, i) => [
          `${u.kind}/${u.namespace ? `${u.namespace}/` : ''}${u.name}`,
          `${u.roleKind}/${u.role}`,
          checks[i]!,
          'ROGUE: no SCIM user; remove this binding unless it is for a non-SCIM identity',
        ]),
      ),
    );
  }
  await out.write(text);
}

/** No status records when a grant began (yet): it began no earlier than the user and the mapping both existed. */
function laterOf(a: string, b: string): string {
  return a > b ? a : b;
}
