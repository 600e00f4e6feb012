import {
  type KubeConfig,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
  type V1ClusterRoleBinding,
  type V1Namespace,
  type V1RoleBinding,
} from '@kubernetes/client-node';
import { type AccessMapping, accessMappingKind, type MappingFailure } from '../../api/access-mapping.ts';
import type { Condition } from '../../api/crd-builder.ts';
import { annotations, labels } from '../../api/labels.ts';
import { makeApiClient } from '../../runtime/api-client.ts';
import type { Clock } from '../../runtime/clock.ts';
import { setCondition } from '../../runtime/conditions.ts';
import { ReconcilePreemptedError } from '../../runtime/controller.ts';
import type { CachedInformer } from '../../runtime/informer.ts';
import { isNotFound } from '../../runtime/kube-errors.ts';
import { type ReconcileContext, type ReconcileResult, requeueAfter } from '../../runtime/reconciler.ts';
import type { Settings } from '../../settings.ts';
import { mappingPhase } from '../selection/selection.ts';
import type { MappingConnection } from '../shared/connection-scope.ts';
import type { EventRecorder } from '../shared/event-recorder.ts';
import type { IdentityCache } from '../shared/identity-cache.ts';
import type { StatusWriter } from '../shared/status-writer.ts';
import { FIELD_MANAGER } from '../shared/status-writer.ts';
import { AccessChangeSummary } from './access-change-summary.ts';
import {
  type Binding,
  bindingWrites,
  describeWriteError,
  earlyRevocations,
  kindOf,
  readiness,
} from './binding-diff.ts';
import { listedBindings } from './binding-summary.ts';
import { isCountOnlyChange } from './count-only-change.ts';
import {
  type DesiredBindings,
  desiredRoleBindings,
  MAPPING_LABEL,
  mappingLabelValue,
} from './desired-role-bindings.ts';
import type { MappingKey } from './keys.ts';

const ssa = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);

export interface RoleBindingsDeps {
  kc: KubeConfig;
  /** The connection a mapping draws identities from (connection-scope.ts); default: the one it names, if any. */
  connectionOf?: (mapping: AccessMapping) => MappingConnection;
  /** The operator's own namespace, always protected. */
  operatorNamespace?: string;
  mappings: CachedInformer<AccessMapping>;
  namespaces: CachedInformer<V1Namespace>;
  roleBindings: CachedInformer<V1RoleBinding>;
  clusterRoleBindings: CachedInformer<V1ClusterRoleBinding>;
  identities: IdentityCache;
  settings: Settings;
  events: EventRecorder;
  status: StatusWriter;
  clock: Clock;
  /** Seconds from the SCIM write of a user to the RBAC change it caused. */
  observeWriteToRbac?: (seconds: number) => void;
  /** Counts API writes, so tests and benchmarks can assert that a converged state writes nothing. */
  onWrite?: (verb: string, target: string) => void;
  /**
   * A status change that only moves subject counts (count-only-change.ts) is written at most once per this interval
   * per mapping, the latest counts last; default 0 (every change at once).
   */
  countWriteIntervalMs?: number;
}

/**
 * Keeps the RoleBindings and ClusterRoleBindings of one AccessMapping (the key is its name) equal to
 * `desiredRoleBindings`: compute, compare with the cache, write only the difference (server-side apply, forced: the
 * operator owns what it generates), then write status only if it changed. Bindings that cannot be written are
 * reported per namespace; the others are written regardless. Every grant and revocation is one structured log line
 * (the audit trail); a reconcile that changed access records one `AccessChanged` Event on the mapping summarising it,
 * and per-user Events on the ScimUser only when `events.perUserAccessChanges` asks for them.
 */
export class RoleBindingsReconciler {
  private readonly deps: RoleBindingsDeps;
  private readonly rbac: RbacAuthorizationV1Api;
  private readonly clock: () => Date;
  /** When each mapping's status was last written (monotonic ms), for the count-only interval. */
  private readonly statusWrittenAt = new Map<string, number>();

  constructor(deps: RoleBindingsDeps) {
    this.deps = deps;
    this.rbac = makeApiClient(deps.kc, RbacAuthorizationV1Api);
    this.clock = () => deps.clock.date();
  }

  reconcile = async ({ name }: MappingKey, context: ReconcileContext): Promise<ReconcileResult> => {
    const found = this.deps.mappings.get(name);
    const scope: MappingConnection = found
      ? (this.deps.connectionOf?.(found) ?? { ok: true, connection: found.spec.connection })
      : { ok: true, connection: undefined };
    // Another installation's mapping: its bindings are that one's to keep.
    if (!scope.ok && scope.reason === 'NotServed') return;
    const mapping =
      found && scope.ok && scope.connection !== found.spec.connection
        ? { ...found, spec: { ...found.spec, connection: scope.connection } }
        : found;
    const existing = this.existingBindings(name);
    const now = this.clock();
    const phase = mapping ? mappingPhase(mapping, now) : 'Deleting';
    if (!mapping || phase === 'Deleting') {
      this.statusWrittenAt.delete(name);
      // Owner references would let the garbage collector do this; deleting now makes revocation immediate.
      await this.sync(name, { roleBindings: [], clusterRoleBindings: [] }, existing, context, []);
      return;
    }
    const generation = mapping.metadata.generation ?? 0;
    if (!scope.ok && scope.reason === 'ConnectionRequired') {
      // Grants nothing until fixed: matching every connection is exactly what the rule exists to prevent.
      const retry = await this.sync(name, { roleBindings: [], clusterRoleBindings: [] }, existing, context, []);
      const failure: MappingFailure = { reason: 'ConnectionRequired', message: scope.message };
      await this.writeStatus(
        mapping,
        generation,
        { status: 'False', ...failure },
        {
          subjectCount: 0,
          bindingCount: 0,
          bindings: [],
          failures: [failure],
        },
      );
      if (retry) throw new Error(`some bindings of AccessMapping ${name} could not be deleted; retrying`);
      return;
    }
    if (phase === 'Suspended') {
      await this.writeStatus(mapping, generation, {
        status: 'False',
        reason: 'Suspended',
        message: 'Reconciliation is suspended; the generated bindings are left as they are',
      });
      return;
    }
    const desired = desiredRoleBindings({
      mapping,
      identities: this.deps.identities,
      namespaces: this.deps.namespaces.list().map((ns) => ({
        name: ns.metadata?.name ?? '',
        labels: ns.metadata?.labels ?? {},
        terminating: Boolean(ns.metadata?.deletionTimestamp),
      })),
      settings: this.deps.settings,
      operatorNamespace: this.deps.operatorNamespace,
      now,
    });
    const writeFailures: MappingFailure[] = [];
    const retry = await this.sync(name, desired, existing, context, writeFailures, mapping.spec.connection);
    // The urgent run that preempted this one writes the status from what it finds.
    stopIfAborted(context.signal, { revokes: false });
    const failures = [...desired.failures, ...writeFailures];
    const countsDueInMs = await this.writeStatus(mapping, generation, readiness(desired, failures), {
      subjectCount: desired.subjectCount,
      bindingCount: desired.roleBindings.length + desired.clusterRoleBindings.length,
      bindings: listedBindings(desired),
      failures: failures.slice(0, 100),
    });
    if (retry) throw new Error(`some bindings of AccessMapping ${name} could not be written; retrying`);
    const expiresInMs =
      desired.expiresAt && !desired.expired ? desired.expiresAt.getTime() - now.getTime() + 100 : undefined;
    const next = Math.min(expiresInMs ?? Number.POSITIVE_INFINITY, countsDueInMs || Number.POSITIVE_INFINITY);
    // The expiry revokes, so its run takes the urgent lane (docs/adr/0022-revocation-first.md).
    if (Number.isFinite(next)) return requeueAfter(next, { urgent: next === expiresInMs });
    // Missing namespaces and groups are picked up by watch events; the resync is only the safety net.
    return;
  };

  private existingBindings(mapping: string): Binding[] {
    const value = mappingLabelValue(mapping);
    const ours = (o: Binding) => o.metadata?.labels?.[MAPPING_LABEL] === value;
    return [...this.deps.roleBindings.list().filter(ours), ...this.deps.clusterRoleBindings.list().filter(ours)];
  }

  /** Writes the difference; returns true when a retry is needed for an error that is not the user's to fix. */
  private async sync(
    mapping: string,
    desired: Pick<DesiredBindings, 'roleBindings' | 'clusterRoleBindings'>,
    existing: Binding[],
    context: ReconcileContext,
    failures: MappingFailure[],
    connection?: string,
  ): Promise<boolean> {
    const key = (b: Binding) => `${b.kind}/${b.metadata?.namespace ?? ''}/${b.metadata?.name}`;
    const existingByKey = new Map(existing.map((b) => [key({ ...b, kind: kindOf(b) }), b]));
    const wanted = [...desired.roleBindings, ...desired.clusterRoleBindings];
    const wantedKeys = new Set(wanted.map(key));
    const summary = new AccessChangeSummary();
    let retry = false;
    try {
      // Revocations first: those in bindings going away, then the bindings that lose a subject. A preemption (an
      // urgent change of this mapping) lets them go ahead and stops the run before its first grant.
      const unwanted = [...existingByKey].filter(([k]) => !wantedKeys.has(k)).map(([, b]) => b);
      for (const { current, trimmed } of earlyRevocations(unwanted, wanted)) {
        stopIfAborted(context.signal, { revokes: true });
        const k = key({ ...current, kind: kindOf(current) });
        try {
          if (trimmed) await this.apply(trimmed, current);
          else await this.remove(current);
          this.audit(mapping, current, trimmed, context, summary, connection);
          if (trimmed) existingByKey.set(k, trimmed);
          else existingByKey.delete(k);
        } catch (err) {
          // The delete at the end tries again.
          if (!isNotFound(err)) context.logger.warn({ binding: k, err: String(err) }, 'revocation not written early');
        }
      }
      for (const { binding, current, revokes } of bindingWrites(wanted, (b) => existingByKey.get(key(b)))) {
        stopIfAborted(context.signal, { revokes });
        try {
          await this.apply(binding, current);
          this.audit(mapping, current, binding, context, summary, connection);
        } catch (err) {
          const failure = describeWriteError(err, binding);
          failures.push(failure);
          if (failure.reason === 'ApplyFailed') retry = true;
          context.logger.warn(
            { binding: key(binding), reason: failure.reason, err: String(err) },
            'binding not written',
          );
        }
      }
      for (const [k, binding] of existingByKey) {
        if (wantedKeys.has(k)) continue;
        // A delete never grants: a preemption lets it go ahead.
        stopIfAborted(context.signal, { revokes: true });
        try {
          await this.remove(binding);
          this.audit(mapping, binding, undefined, context, summary, connection);
        } catch (err) {
          if (!isNotFound(err)) {
            retry = true;
            context.logger.warn({ binding: k, err: String(err) }, 'binding not deleted');
          }
        }
      }
    } finally {
      // Also when the run stops early: what it did write is summarised.
      if (!summary.isEmpty()) {
        const owner = this.deps.mappings.get(mapping);
        this.deps.events.record(
          {
            apiVersion: accessMappingKind.apiVersion,
            kind: accessMappingKind.kind,
            name: mapping,
            uid: owner?.metadata.uid,
          },
          'Normal',
          'AccessChanged',
          summary.message(),
        );
      }
    }
    return retry;
  }

  private async apply(binding: Binding, current: Binding | undefined): Promise<void> {
    const name = binding.metadata!.name!;
    // roleRef is immutable: a different role under the same name means delete and create.
    if (current && JSON.stringify(current.roleRef) !== JSON.stringify(binding.roleRef)) await this.remove(current);
    this.deps.onWrite?.('apply', `${binding.kind}/${binding.metadata?.namespace ?? ''}/${name}`);
    if (binding.kind === 'RoleBinding') {
      const namespace = binding.metadata!.namespace!;
      await this.rbac.patchNamespacedRoleBinding(
        { name, namespace, body: binding as V1RoleBinding, fieldManager: FIELD_MANAGER, force: true },
        ssa,
      );
    } else {
      await this.rbac.patchClusterRoleBinding({ name, body: binding, fieldManager: FIELD_MANAGER, force: true }, ssa);
    }
  }

  private async remove(binding: Binding): Promise<void> {
    const name = binding.metadata!.name!;
    this.deps.onWrite?.('delete', `${kindOf(binding)}/${binding.metadata?.namespace ?? ''}/${name}`);
    if (kindOf(binding) === 'RoleBinding') {
      await this.rbac.deleteNamespacedRoleBinding({ name, namespace: binding.metadata!.namespace! });
    } else {
      await this.rbac.deleteClusterRoleBinding({ name });
    }
  }

  /**
   * One log line per grant or revocation: who, which role, where, because of what; added to the reconcile's summary,
   * and an Event per user when the settings ask. Users of other connections sharing a subject name are not told:
   * this mapping's grant is not about them.
   */
  private audit(
    mapping: string,
    before: Binding | undefined,
    after: Binding | undefined,
    context: ReconcileContext,
    summary: AccessChangeSummary,
    connection: string | undefined,
  ) {
    const subjectsOf = (b: Binding | undefined) =>
      new Set((b?.subjects ?? []).filter((s) => s.kind === 'User').map((s) => s.name));
    const was = subjectsOf(before);
    const is = subjectsOf(after);
    const ref = (after ?? before)!.roleRef;
    const namespace = (after ?? before)!.metadata?.namespace;
    const where = namespace ? `in namespace ${namespace}` : 'cluster-wide';
    const now = this.clock().getTime();
    for (const [subjects, other, action] of [
      [is, was, 'granted'],
      [was, is, 'revoked'],
    ] as const) {
      for (const subject of subjects) {
        if (other.has(subject)) continue;
        for (const userId of this.deps.identities.usersWithSubject(subject)) {
          const user = this.deps.identities.user(userId);
          if (!user || (connection && user.metadata.labels?.[labels.connection] !== connection)) continue;
          context.logger.info(
            {
              audit: true,
              action,
              user: user.spec.userName,
              subject,
              role: `${ref.kind}/${ref.name}`,
              namespace: namespace ?? null,
              accessMapping: mapping,
            },
            `access ${action}`,
          );
          summary.add(action, user.spec.userName, `${ref.kind}/${ref.name}`, namespace);
          if (this.deps.settings.events.perUserAccessChanges)
            this.deps.events.record(
              { apiVersion: user.apiVersion, kind: user.kind, name: user.metadata.name, uid: user.metadata.uid },
              'Normal',
              action === 'granted' ? 'AccessGranted' : 'AccessRevoked',
              `${ref.kind} ${ref.name} ${where} ${action} by AccessMapping ${mapping}`,
            );
          const written = Date.parse(user.metadata.annotations?.[annotations.lastModified] ?? '');
          if (Number.isFinite(written) && now - written < 10 * 60_000)
            this.deps.observeWriteToRbac?.((now - written) / 1000);
        }
      }
    }
  }

  /**
   * Writes the status if it changed; a count-only change within `countWriteIntervalMs` of the last write is held
   * back instead, and the milliseconds until it is due are returned (0 when written or unchanged).
   */
  private async writeStatus(
    mapping: AccessMapping,
    generation: number,
    ready: Omit<Condition, 'lastTransitionTime' | 'type'>,
    fields: Partial<NonNullable<AccessMapping['status']>> = {},
  ): Promise<number> {
    const name = mapping.metadata.name;
    const conditions = setCondition(mapping.status?.conditions, { type: 'Ready', ...ready }, generation, this.clock());
    const status = { ...mapping.status, ...fields, conditions, observedGeneration: generation };
    if (fields.failures && fields.failures.length === 0) delete status.failures;
    if (fields.bindings && fields.bindings.length === 0) delete status.bindings;
    const interval = this.deps.countWriteIntervalMs ?? 0;
    const writtenAt = this.statusWrittenAt.get(name);
    if (interval > 0 && writtenAt !== undefined && isCountOnlyChange(mapping.status, status)) {
      const dueInMs = writtenAt + interval - this.deps.clock.now();
      if (dueInMs > 0) return dueInMs;
    }
    if (await this.deps.status.write(accessMappingKind, name, mapping.status, status))
      this.statusWrittenAt.set(name, this.deps.clock.now());
    return 0;
  }
}

/**
 * Stops the reconcile before its next write when its signal is aborted (leadership lost, the timeout passed, or an
 * urgent change of the key preempted it: runtime/controller.ts). A preemption lets a write that takes access away go
 * ahead, so the run it yields to never has to redo a revocation; everything else stops at once. The run after it
 * reads everything again, so stopping anywhere is safe.
 */
function stopIfAborted(signal: AbortSignal, { revokes }: { revokes: boolean }): void {
  if (!signal.aborted) return;
  if (revokes && signal.reason instanceof ReconcilePreemptedError) return;
  throw signal.reason;
}
