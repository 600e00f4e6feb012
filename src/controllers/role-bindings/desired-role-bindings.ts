import { createHash, hash } from 'node:crypto';
import type { RbacV1Subject, V1ClusterRoleBinding, V1RoleBinding } from '@kubernetes/client-node';
import type { AccessMapping, MappingFailure } from '../../api/access-mapping.ts';
import { labels } from '../../api/labels.ts';
import type { Settings } from '../../settings.ts';
import type { IdentityView } from '../selection/identity-view.ts';
import { type MissingSubject, resolveSelection } from '../selection/selection.ts';
import { groupSubject } from '../shared/subject-name.ts';

export const MAPPING_LABEL = 'scim-operator.dev/access-mapping';
const RBAC_GROUP = 'rbac.authorization.k8s.io';

export interface NamespaceInfo {
  name: string;
  labels: Record<string, string>;
  terminating?: boolean;
}

export interface DesiredInput {
  mapping: AccessMapping;
  identities: IdentityView;
  namespaces: NamespaceInfo[];
  settings: Pick<Settings, 'subjects' | 'bindings' | 'roles'>;
  /** The operator's own namespace: always protected (its token Secret and ServiceAccount live there). */
  operatorNamespace?: string;
  now: Date;
}

export interface DesiredBindings {
  roleBindings: V1RoleBinding[];
  clusterRoleBindings: V1ClusterRoleBinding[];
  failures: MappingFailure[];
  /** Users who get access through this mapping (ids), for status and audit. */
  userIds: string[];
  subjectCount: number;
  /** Set when access is time-boxed and still running: reconcile again then. */
  expiresAt?: Date;
  expired: boolean;
}

/**
 * The RoleBindings and ClusterRoleBindings an AccessMapping asks for, given the identities and namespaces that
 * exist now. Pure: same input, same output, in a stable order, so comparing with what exists finds real changes
 * only. A part that cannot be granted is reported as a failure and skipped; the rest is still granted.
 */
export function desiredRoleBindings(input: DesiredInput): DesiredBindings {
  const { mapping, settings } = input;
  const failures: MappingFailure[] = [];
  const expiresAt = mapping.spec.expiresAt ? new Date(mapping.spec.expiresAt) : undefined;
  const expired = expiresAt !== undefined && expiresAt.getTime() <= input.now.getTime();
  const empty = { roleBindings: [], clusterRoleBindings: [], failures, userIds: [], subjectCount: 0, expired };
  if (expired) return empty;

  const { subjects, userIds } = resolveSubjects(input, failures);
  const result: DesiredBindings = {
    ...empty,
    userIds,
    subjectCount: subjects.length,
    expiresAt,
  };
  const namespacedTargets = new Map<string, { namespace: string; kind: 'ClusterRole' | 'Role'; role: string }>();
  const fenced = protectedNamespaces(settings, input.operatorNamespace);
  const reported = new Set<string>();
  for (const entry of mapping.spec.roleBindings ?? []) {
    const kind = entry.clusterRole ? 'ClusterRole' : 'Role';
    const role = (entry.clusterRole ?? entry.role)!;
    const allowed = kind === 'ClusterRole' ? settings.roles.allowedClusterRoles : settings.roles.allowedRoles;
    if (!allowed.includes(role)) {
      failures.push({ reason: 'RoleNotAllowed', message: `${kind} ${role} is not in the operator's allowlist` });
      continue;
    }
    for (const namespace of targetNamespaces(entry, input.namespaces, failures)) {
      if (fenced.has(namespace)) {
        if (!reported.has(namespace))
          failures.push({
            namespace,
            reason: 'NamespaceProtected',
            message: `namespace ${namespace} is protected: no mapping binds into it (settings bindings.protectedNamespaces)`,
          });
        reported.add(namespace);
        continue;
      }
      namespacedTargets.set(`${namespace}/${kind}/${role}`, { namespace, kind, role });
    }
  }
  const clusterTargets = new Set<string>();
  for (const entry of mapping.spec.clusterRoleBindings ?? []) {
    // Its own allowlist: a role allowed in namespaces (edit) is not thereby allowed cluster-wide.
    if (!settings.roles.allowClusterRoleBindings.includes(entry.clusterRole)) {
      failures.push({
        reason: 'RoleNotAllowed',
        message: `ClusterRole ${entry.clusterRole} may not be bound cluster-wide by the operator's allowlist`,
      });
      continue;
    }
    clusterTargets.add(entry.clusterRole);
  }

  const shards = shardSubjects(subjects, settings.bindings.maxSubjectsPerBinding);
  if (subjects.length === 0) return result;
  for (const target of [...namespacedTargets.values()].sort(byKey)) {
    const base = bindingBaseName(mapping.metadata.name, target.kind, target.role);
    shards.forEach((shardSubjects, index) => {
      result.roleBindings.push({
        apiVersion: `${RBAC_GROUP}/v1`,
        kind: 'RoleBinding',
        metadata: { ...generatedMetadata(mapping, shardName(base, index, shards.length)), namespace: target.namespace },
        roleRef: { apiGroup: RBAC_GROUP, kind: target.kind, name: target.role },
        subjects: shardSubjects,
      });
    });
  }
  for (const role of [...clusterTargets].sort()) {
    const base = bindingBaseName(mapping.metadata.name, 'ClusterRole', role);
    shards.forEach((shardSubjects, index) => {
      result.clusterRoleBindings.push({
        apiVersion: `${RBAC_GROUP}/v1`,
        kind: 'ClusterRoleBinding',
        metadata: generatedMetadata(mapping, shardName(base, index, shards.length)),
        roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: role },
        subjects: shardSubjects,
      });
    });
  }
  return result;
}

/** The namespaces no mapping binds into: the configured ones and the operator's own. */
export function protectedNamespaces(
  settings: Pick<Settings, 'bindings'>,
  operatorNamespace: string | undefined,
): ReadonlySet<string> {
  const out = new Set(settings.bindings.protectedNamespaces);
  if (operatorNamespace) out.add(operatorNamespace);
  return out;
}

function byKey(a: { namespace: string; role: string; kind: string }, b: typeof a): number {
  return `${a.namespace}/${a.kind}/${a.role}`.localeCompare(`${b.namespace}/${b.kind}/${b.role}`);
}

function resolveSubjects(
  input: DesiredInput,
  failures: MappingFailure[],
): { subjects: RbacV1Subject[]; userIds: string[] } {
  const { mapping, identities, settings } = input;
  const groupMode = settings.subjects.mode === 'Group';
  const selection = resolveSelection(mapping, identities, { expandGroups: !groupMode });
  for (const missing of selection.missing) failures.push(missingFailure(missing));
  const groupNames = new Set<string>();
  if (groupMode) {
    for (const group of selection.groups) {
      const subject = groupSubject(group.spec.displayName, group.spec.externalId, settings.subjects);
      if (subject.ok) groupNames.add(subject.name);
    }
  }
  const granted: string[] = [];
  const userNames = new Set<string>();
  for (const id of selection.userIds) {
    const subject = identities.subjectOf(id);
    if (!subject.ok) continue;
    granted.push(id);
    userNames.add(subject.name);
  }
  // Groups before users, each by code point, not by locale: a locale comparison of 100,000 subjects took longer
  // than the rest of the reconcile.
  const subjects = [
    ...[...groupNames].sort().map((name): RbacV1Subject => ({ apiGroup: RBAC_GROUP, kind: 'Group', name })),
    ...[...userNames].sort().map((name): RbacV1Subject => ({ apiGroup: RBAC_GROUP, kind: 'User', name })),
  ];
  return { subjects, userIds: granted };
}

function missingFailure(missing: MissingSubject): MappingFailure {
  if (missing.kind === 'user')
    return { reason: 'UserNotFound', message: `no SCIM user with userName "${missing.userName}"` };
  const { displayName, externalId } = missing.ref;
  return {
    reason: 'GroupNotFound',
    message: `no SCIM group with ${displayName ? `displayName "${displayName}"` : `externalId "${externalId}"`}`,
  };
}

function targetNamespaces(
  entry: NonNullable<AccessMapping['spec']['roleBindings']>[number],
  namespaces: NamespaceInfo[],
  failures: MappingFailure[],
): string[] {
  const byName = new Map(namespaces.map((n) => [n.name, n]));
  const out = new Set<string>();
  for (const name of entry.namespaces ?? []) {
    const ns = byName.get(name);
    if (!ns) {
      failures.push({
        namespace: name,
        reason: 'NamespaceNotFound',
        message: `namespace ${name} does not exist (yet)`,
      });
    } else if (!ns.terminating) out.add(name);
  }
  if (entry.namespaceSelector) {
    for (const ns of namespaces)
      if (!ns.terminating && matchesSelector(entry.namespaceSelector, ns.labels)) out.add(ns.name);
  }
  return [...out].sort();
}

export function matchesSelector(
  selector: NonNullable<NonNullable<AccessMapping['spec']['roleBindings']>[number]['namespaceSelector']>,
  labelsOf: Record<string, string>,
): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labelsOf[key] !== value) return false;
  for (const expr of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labelsOf, expr.key);
    const value = labelsOf[expr.key];
    const values = expr.values ?? [];
    const ok =
      expr.operator === 'In'
        ? has && values.includes(value!)
        : expr.operator === 'NotIn'
          ? !has || !values.includes(value!)
          : expr.operator === 'Exists'
            ? has
            : !has;
    if (!ok) return false;
  }
  return true;
}

/**
 * Splits subjects over bindings of at most `max` subjects. A subject's binding is chosen by a hash, so one user
 * joining or leaving rewrites one binding, not every binding after it; the shard count is a power of two that
 * leaves headroom, and it changes (rewriting all of them) only when the group grows or shrinks by a factor of two.
 */
export function shardSubjects(subjects: RbacV1Subject[], max: number): RbacV1Subject[][] {
  if (subjects.length <= max) return [subjects];
  let count = 2 ** Math.ceil(Math.log2((subjects.length * 1.25) / max));
  for (;;) {
    const shards: RbacV1Subject[][] = Array.from({ length: count }, () => []);
    for (const subject of subjects) shards[shardHash(subject) % count]!.push(subject);
    if (shards.every((s) => s.length <= max)) return shards;
    count *= 2;
  }
}

/**
 * The first 32 bits of the sha256 of `<kind>/<name>`, memoized per kind and name: a reconcile of a 100,000-member
 * mapping hashes every subject, and hashing was most of its pure work (docs/adr/0024-preemptible-reconciles.md).
 * Keyed by the name itself, whose string hash V8 keeps, not by a new `<kind>/<name>` string per call. Each memo is
 * cleared when it reaches `SHARD_HASH_MEMO_SIZE` entries (one per subject name seen), so it stays bounded.
 */
function shardHash({ kind, name }: RbacV1Subject): number {
  const memo = kind === 'User' ? userShardHashes : otherShardHashes;
  const key = kind === 'User' ? name : `${kind}/${name}`;
  let hashed = memo.get(key);
  if (hashed === undefined) {
    if (memo.size >= SHARD_HASH_MEMO_SIZE) memo.clear();
    hashed = hash('sha256', `${kind}/${name}`, 'buffer').readUInt32BE(0);
    memo.set(key, hashed);
  }
  return hashed;
}

const SHARD_HASH_MEMO_SIZE = 1 << 18;
const userShardHashes = new Map<string, number>();
const otherShardHashes = new Map<string, number>();

function shardName(base: string, index: number, count: number): string {
  return count === 1 ? base : `${base}:${count}-${index}`;
}

/** `scim:<mapping>:<clusterrole|role>:<name>`, shortened with a hash when it would exceed the name limit. */
export function bindingBaseName(mapping: string, kind: 'ClusterRole' | 'Role', role: string): string {
  const name = `scim:${mapping}:${kind.toLowerCase()}:${role}`;
  if (name.length <= 230) return name;
  return `scim:${createHash('sha256').update(name).digest('hex').slice(0, 32)}`;
}

function generatedMetadata(mapping: AccessMapping, name: string) {
  // Only our own labels: never a GitOps tracking label or annotation copied from the mapping.
  return {
    name,
    labels: { [labels.managedBy]: 'scim-operator', [MAPPING_LABEL]: mappingLabelValue(mapping.metadata.name) },
    ownerReferences: [
      {
        apiVersion: mapping.apiVersion,
        kind: 'AccessMapping',
        name: mapping.metadata.name,
        uid: mapping.metadata.uid ?? '',
        controller: true,
      },
    ],
  };
}

/** Label values hold at most 63 characters; longer mapping names are hashed. */
export function mappingLabelValue(name: string): string {
  return name.length <= 63 ? name : createHash('sha256').update(name).digest('hex').slice(0, 40);
}
