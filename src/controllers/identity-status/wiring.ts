import type { V1ClusterRoleBinding, V1RoleBinding } from '@kubernetes/client-node';
import { labels } from '../../api/labels.ts';
import { Controller } from '../../runtime/controller.ts';
import type { CachedInformer } from '../../runtime/informer.ts';
import { selectedBy } from '../selection/selection.ts';
import { withExplicitConnection } from '../shared/connection-scope.ts';
import { IdentityChanges } from '../shared/identity-changes.ts';
import type { Product } from '../shared/product.ts';
import type { SharedInputs } from '../shared/shared-inputs.ts';
import { BindingIndex } from './binding-index.ts';
import { groupKey, type IdentityKey, identityKeys, userKey } from './keys.ts';
import { IdentityStatusReconciler, type UserCondition } from './reconcile.ts';
import { bindingSubjectKeys, membershipKeys, SubjectPeers } from './watches.ts';

const EVENTS = ['add', 'update', 'delete'] as const;

/**
 * A new user without access gets its first status this long after its creation, unless a grant comes first
 * (reconcile.ts `firstStatusDelay`): an IdP adds a new user to its groups within seconds, and one write then says both.
 */
export const NEW_USER_STATUS_DELAY_MS = 10_000;

/**
 * A change of a user's grants alone is written this long after it is first seen (reconcile.ts `GrantSettling`): the
 * bindings of one SCIM change (a leaver in several mappings) land one by one, and one status write then says all.
 */
export const GRANT_STATUS_SETTLE_MS = 2_000;

/**
 * ScimUser and ScimGroup -> their status. Watches the identities, the memberships and the generated bindings it
 * counts (handed in by the composition: they are the RoleBindings product's informers, not this one's).
 */
export class IdentityStatusProduct implements Product {
  readonly name = 'identity-status';
  readonly informers: Product['informers'] = [];
  readonly workers: Controller<IdentityKey>;
  private readonly shared: SharedInputs;

  /**
   * `userConditions`: conditions other products decide, each with the subjects whose condition may have changed
   * (handed in by the composition, so this product imports no other).
   */
  constructor(
    shared: SharedInputs,
    bindings: readonly CachedInformer<V1RoleBinding | V1ClusterRoleBinding>[],
    userConditions: readonly (UserCondition & { onChange(listener: (subjects: string[]) => void): void })[] = [],
  ) {
    this.shared = shared;
    const { identities } = shared;
    const usersWithSubject = (subject: string) => identities.usersWithSubject(subject);
    const enqueue = (keys: IdentityKey[]) => {
      for (const key of keys) this.workers.enqueue(key);
    };
    const bindingIndex = new BindingIndex(bindings, (subjects) =>
      enqueue(bindingSubjectKeys(subjects, usersWithSubject)),
    );
    const reconciler = new IdentityStatusReconciler({
      identities,
      serves: (object) => shared.scope.serves(object.metadata.labels?.[labels.connection]),
      bindings: bindingIndex,
      selectedBy: (name, userId) => {
        const mapping = shared.mappings.get(name);
        const explicit = mapping && withExplicitConnection(mapping, shared.scope.served());
        const user = identities.user(userId);
        return explicit && user ? selectedBy(explicit, user, identities.groupsOfUser(userId)) : [];
      },
      userConditions,
      events: shared.events,
      status: shared.status,
      clock: shared.clock,
      firstStatusDelayMs: NEW_USER_STATUS_DELAY_MS,
      grantSettleMs: GRANT_STATUS_SETTLE_MS,
    });
    this.workers = new Controller({
      name: 'scimidentity',
      keys: identityKeys,
      reconcile: (key) => reconciler.reconcile(key),
      logger: shared.logger,
      workers: shared.settings.controllers.workers,
      metrics: shared.controllerMetrics,
    });
    for (const condition of userConditions)
      condition.onChange((subjects) => enqueue(bindingSubjectKeys(subjects, usersWithSubject)));
    // A mapping's subjects changing (a role or group added beside the one that selected a user) changes the
    // provenance of grants whose bindings stay the same; only spec, label and deletion changes count.
    const mappingChanges = new IdentityChanges();
    for (const event of EVENTS)
      shared.mappings.on(event, (mapping) => {
        if (mappingChanges.changed(mapping, event))
          enqueue(bindingSubjectKeys(bindingIndex.subjectsOfMapping(mapping.metadata.name), usersWithSubject));
      });
    const peers = new SubjectPeers(shared.settings.subjects, usersWithSubject);
    identities.onUserChange((user, event) => enqueue(peers.keysFor(user, event)));
    identities.onGroupChange((group) => this.workers.enqueue(groupKey(group.metadata.name)));
    // A membership changes no group status (it holds no member count); a member's status changes only if the group
    // selects it into a grant, which the reconcile finds out (and then writes nothing when it does not).
    identities.memberships.onChange((_groupId, members) => enqueue(membershipKeys(members)));
  }

  enqueueAll(): void {
    for (const u of this.shared.identities.users()) this.workers.enqueue(userKey(u.metadata.name));
    for (const g of this.shared.identities.groups()) this.workers.enqueue(groupKey(g.metadata.name));
  }
}
