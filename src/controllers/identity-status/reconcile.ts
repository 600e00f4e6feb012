import type { Condition } from '../../api/crd-builder.ts';
import { scimGroupKind } from '../../api/scim-group.ts';
import { type ScimUser, type ScimUserStatus, scimUserKind } from '../../api/scim-user.ts';
import type { Clock } from '../../runtime/clock.ts';
import { findCondition, setCondition } from '../../runtime/conditions.ts';
import type { ReconcileResult } from '../../runtime/reconciler.ts';
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
 * Owns the status of ScimUsers (subject, groups, bindings, effective grants, Ready) and ScimGroups (member count, Ready), one
 * identity per key (keys.ts). A refused subject (duplicate, reserved, missing) makes Ready False with that reason
 * and a Warning Event on the user, once per transition.
 */
export class IdentityStatusReconciler {
  private readonly deps: IdentityStatusDeps;
  private readonly clock: () => Date;

  constructor(deps: IdentityStatusDeps) {
    this.deps = deps;
    this.clock = () => deps.clock.date();
  }

  reconcile = async (key: IdentityKey): Promise<ReconcileResult> => {
    if (key.kind === 'ScimGroup') return this.group(key.name);
    return this.user(key.name);
  };

  private async group(id: string): Promise<void> {
    const group = this.deps.identities.group(id);
    if (!group || this.deps.serves?.(group) === false) return;
    const generation = group.metadata.generation ?? 0;
    const memberCount = this.deps.identities.membersOf(id).length;
    const conditions = setCondition(
      group.status?.conditions,
      { type: 'Ready', status: 'True', reason: 'Provisioned', message: `${memberCount} member(s)` },
      generation,
      this.clock(),
    );
    await this.deps.status.write(scimGroupKind, id, group.status, {
      ...group.status,
      memberCount,
      conditions,
      observedGeneration: generation,
    });
  }

  private async user(id: string): Promise<void> {
    const { identities } = this.deps;
    const user = identities.user(id);
    if (!user || this.deps.serves?.(user) === false) return;
    const generation = user.metadata.generation ?? 0;
    const subject = identities.subjectOf(id);
    const groups = identities
      .groupsOf(id)
      .map((g) => identities.group(g)?.spec.displayName)
      .filter((n): n is string => Boolean(n))
      .sort();
    const bindingCount = subject.ok ? this.deps.bindings.count(subject.name) : 0;
    const ready = userReadiness(user, subject, bindingCount);
    const previous = findCondition(user.status?.conditions, 'Ready');
    let conditions = setCondition(user.status?.conditions, { type: 'Ready', ...ready }, generation, this.clock());
    for (const extra of this.deps.userConditions ?? []) {
      const value = extra.of(user, findCondition(conditions, extra.type) !== undefined);
      if (value) conditions = setCondition(conditions, { type: extra.type, ...value }, generation, this.clock());
    }
    // status.apps belongs to the app-accounts controller: left out of both sides, so this write never carries a
    // stale copy of it (a merge patch leaves absent keys alone).
    const { apps: _apps, ...current } = user.status ?? {};
    const { grants, grantCount } = effectiveGrants(
      subject.ok ? this.deps.bindings.grantsOf(subject.name) : [],
      (mapping) => this.deps.selectedBy?.(mapping, id) ?? [],
      user.status?.grants,
      this.clock(),
    );
    const status: ScimUserStatus = {
      ...current,
      conditions,
      observedGeneration: generation,
      groups: groups.slice(0, 1000),
      groupCount: groups.length,
      bindingCount,
      grants,
      grantCount,
    };
    if (grants.length === 0) delete status.grants;
    if (subject.ok) status.subject = subject.name;
    else delete status.subject;
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
