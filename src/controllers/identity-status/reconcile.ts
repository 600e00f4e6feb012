import type { Condition } from '../../api/crd-builder.ts';
import { scimGroupKind } from '../../api/scim-group.ts';
import { type ScimUser, type ScimUserStatus, scimUserKind } from '../../api/scim-user.ts';
import type { Clock } from '../../runtime/clock.ts';
import { findCondition, setCondition } from '../../runtime/conditions.ts';
import { type ReconcileResult, requeueAfter } from '../../runtime/reconciler.ts';
import type { SelectionReason } from '../selection/selection.ts';
import type { EventRecorder } from '../shared/event-recorder.ts';
import type { IdentityCache } from '../shared/identity-cache.ts';
import type { StatusWriter } from '../shared/status-writer.ts';
import type { BindingIndex } from './binding-index.ts';
import { isRefusedSubject, userReadiness } from './desired-status.ts';
import { effectiveGrants } from './effective-grants.ts';
import type { IdentityKey } from './keys.ts';

export interface IdentityStatusDeps {
  identities: IdentityCache;
  /** False for an identity of a connection another installation serves: its status is that one's to write. */
  serves?: (object: { metadata: { labels?: Record<string, string> } }) => boolean;
  bindings: BindingIndex;
  /** Why a mapping selects the user, for the provenance of its grants; none when the mapping is gone. */
  selectedBy?: (accessMapping: string, userId: string) => SelectionReason[];
  /** Conditions other products decide and this one writes (it owns ScimUser status), e.g. UnmanagedAccess. */
  userConditions?: readonly UserCondition[];
  events: EventRecorder;
  status: StatusWriter;
  clock: Clock;
  /** How long a new user without access waits for its first status (`firstStatusDelay`); default 0. */
  firstStatusDelayMs?: number;
  /**
   * How long a change of a user's grants alone waits before its status is written (`GrantSettling`), so that the
   * binding changes of one event (a leaver's several mappings, a member added to groups of several mappings) make
   * one write; default 0 (written at once).
   */
  grantSettleMs?: number;
}

/**
 * A ScimUser condition decided elsewhere. `of` gets whether the user already has the condition; undefined leaves
 * it absent (or as it is not: a condition once set is only ever changed, never dropped, by its `of`).
 */
export interface UserCondition {
  type: string;
  of(user: ScimUser, present: boolean): Omit<Condition, 'type' | 'lastTransitionTime'> | undefined;
}

/**
 * Owns the status of ScimUsers (subject, bindings, effective grants, Ready) and ScimGroups (Ready), one
 * identity per key (keys.ts). A refused subject (duplicate, reserved, missing) makes Ready False with that reason
 * and a Warning Event on the user, once per transition.
 */
export class IdentityStatusReconciler {
  private readonly deps: IdentityStatusDeps;
  private readonly clock: () => Date;
  private readonly settling: GrantSettling;

  constructor(deps: IdentityStatusDeps) {
    this.deps = deps;
    this.clock = () => deps.clock.date();
    this.settling = new GrantSettling(deps.grantSettleMs ?? 0);
  }

  reconcile = async (key: IdentityKey): Promise<ReconcileResult> => {
    if (key.kind === 'ScimGroup') return this.group(key.name);
    return this.user(key.name);
  };

  private async group(id: string): Promise<void> {
    const group = this.deps.identities.group(id);
    if (!group || this.deps.serves?.(group) === false) return;
    const conditions = setIdentityCondition(
      group.status?.conditions,
      { type: 'Ready', status: 'True', reason: 'Provisioned', message: 'Group stored; members in its shards' },
      this.clock(),
    );
    await this.deps.status.write(scimGroupKind, id, group.status, { conditions });
  }

  private async user(id: string): Promise<ReconcileResult> {
    const { identities } = this.deps;
    const user = identities.user(id);
    if (!user || this.deps.serves?.(user) === false) {
      this.settling.done(id);
      return;
    }
    const subject = identities.subjectOf(id);
    const bindingCount = subject.ok ? this.deps.bindings.count(subject.name) : 0;
    const ready = userReadiness(user, subject, bindingCount);
    const previous = findCondition(user.status?.conditions, 'Ready');
    let conditions = setIdentityCondition(user.status?.conditions, { type: 'Ready', ...ready }, this.clock());
    for (const extra of this.deps.userConditions ?? []) {
      const value = extra.of(user, findCondition(conditions, extra.type) !== undefined);
      if (value) conditions = setIdentityCondition(conditions, { type: extra.type, ...value }, this.clock());
    }
    const withoutAccess = !previous && conditions.length === 1 && ready.reason === 'Provisioned' && bindingCount === 0;
    const settling = withoutAccess ? firstStatusDelay(user, this.deps.firstStatusDelayMs ?? 0, this.clock()) : 0;
    if (settling > 0) return requeueAfter(settling);
    // status.apps belongs to the app-accounts controller: left out of both sides, so this write never carries a
    // stale copy of it (a merge patch leaves absent keys alone).
    const { apps: _apps, ...current } = user.status ?? {};
    const { grants, grantCount } = effectiveGrants(
      subject.ok ? this.deps.bindings.grantsOf(subject.name) : [],
      (mapping) => this.deps.selectedBy?.(mapping, id) ?? [],
      user.status?.grants,
      this.clock(),
    );
    // Access facts only (docs/adr/0021-status-writes.md): group names, counts and generations are left out, so a
    // change that alters no access computes an equal status and writes nothing.
    const status: ScimUserStatus = { conditions, bindingCount, grants, grantCount };
    if (grants.length === 0) delete status.grants;
    if (subject.ok) status.subject = subject.name;
    const wait = this.settling.wait(id, user.status && current, status, this.clock().getTime());
    if (wait > 0) return requeueAfter(wait);
    const written = await this.deps.status.write(scimUserKind, id, user.status && current, status);
    const refused = ready.status === 'False' && isRefusedSubject(ready.reason);
    if (written && refused && previous?.reason !== ready.reason) {
      this.deps.events.record(
        { apiVersion: user.apiVersion, kind: user.kind, name: id, uid: user.metadata.uid },
        'Warning',
        ready.reason,
        ready.message,
      );
    }
  }
}

/**
 * Holds back a status change that only moves a user's grants (`bindingCount`, `grants`, `grantCount`, the Ready
 * message that counts them) for `settleMs` after it is first seen, so that the binding changes one SCIM change
 * causes, which land one by one, are written once. The bindings themselves, what the API server authorizes by,
 * never wait; a change of the subject or of any condition's status or reason (a deactivation, a refused subject)
 * is written at once, and so is a new user's first status (then the first-status delay applies). Holds an entry
 * only for a user whose write is waiting.
 */
export class GrantSettling {
  private readonly settleMs: number;
  private readonly since = new Map<string, number>();

  constructor(settleMs: number) {
    this.settleMs = settleMs;
  }

  /** Milliseconds to wait before writing `next` over `current`; 0 to write (or find nothing to write) now. */
  wait(id: string, current: ScimUserStatus | undefined, next: ScimUserStatus, now: number): number {
    if (this.settleMs <= 0 || current === undefined || !grantsOnly(current, next)) {
      this.since.delete(id);
      return 0;
    }
    const since = this.since.get(id) ?? now;
    this.since.set(id, since);
    const remaining = since + this.settleMs - now;
    if (remaining <= 0) this.since.delete(id);
    return Math.max(0, remaining);
  }

  done(id: string): void {
    this.since.delete(id);
  }
}

/** Whether `next` differs from `current` in grants only: same subject, same conditions up to their messages. */
function grantsOnly(current: ScimUserStatus, next: ScimUserStatus): boolean {
  const access = (s: ScimUserStatus) =>
    JSON.stringify([s.subject, (s.conditions ?? []).map((c) => [c.type, c.status, c.reason])]);
  if (access(current) !== access(next)) return false;
  const grants = (s: ScimUserStatus) =>
    JSON.stringify([
      s.bindingCount ?? 0,
      s.grantCount ?? 0,
      s.grants ?? [],
      (s.conditions ?? []).map((c) => c.message),
    ]);
  return grants(current) !== grants(next);
}

/**
 * `setCondition` without `observedGeneration`: ScimUsers and ScimGroups are written by the SCIM endpoint, and their
 * status does not follow their spec generation (an attribute change alters no access), so a generation recorded here
 * would only go stale and make kstatus and Argo CD report the object as progressing.
 */
function setIdentityCondition(
  conditions: readonly Condition[] | undefined,
  next: Parameters<typeof setCondition>[1],
  now: Date,
): Condition[] {
  return setCondition(conditions, next, 0, now).map(({ observedGeneration: _generation, ...condition }) => condition);
}

/**
 * How long to hold back the first status of a new user that holds no access yet (no status so far, Ready
 * Provisioned with no binding, no other condition), so that its first status can also carry the grants that a group
 * membership arriving right after its creation (an IdP's usual order) gives it: one write instead of two. Never
 * used for anything access-relevant: a refused subject, an inactive or suspended user, a grant.
 */
export function firstStatusDelay(user: ScimUser, delayMs: number, now: Date): number {
  const stamp = user.metadata.creationTimestamp;
  const created = stamp === undefined ? Number.NaN : new Date(stamp).getTime();
  if (delayMs <= 0 || Number.isNaN(created)) return 0;
  return Math.max(0, created + delayMs - now.getTime());
}
