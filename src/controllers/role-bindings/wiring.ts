import type { V1ClusterRoleBinding, V1RoleBinding } from '@kubernetes/client-node';
import { Controller } from '../../runtime/controller.ts';
import type { CachedInformer } from '../../runtime/informer.ts';
import { mappingConnection } from '../shared/connection-scope.ts';
import type { Product } from '../shared/product.ts';
import type { SharedInputs } from '../shared/shared-inputs.ts';
import { type MappingKey, mappingKey, mappingKeys } from './keys.ts';
import { RoleBindingsReconciler } from './reconcile.ts';
import { groupEventLane, type Lane, membershipLane, userEventLane } from './urgency.ts';
import { allMappings, mappingsOfGroup, mappingsOfUser, ownerMapping } from './watches.ts';

const EVENTS = ['add', 'update', 'delete'] as const;

/**
 * A mapping's status whose only change is how many subjects it binds is written at most this often (the bindings
 * are written at once): a stream of member changes in its groups costs one status write per interval, not one each.
 */
export const MAPPING_COUNT_WRITE_INTERVAL_MS = 5_000;
/**
 * A mapping whose pending changes only grant (member additions, new users and groups, its own bindings' watch
 * events) is reconciled at most once per this window; a revocation is never held back (urgency.ts).
 */
export const GRANT_COALESCE_MS = 1_000;
/**
 * AccessMapping -> RoleBindings and ClusterRoleBindings. Watches mappings, namespaces, its own generated bindings
 * (drift) and the identities; keys are mappings.
 */
export class RoleBindingsProduct implements Product {
  readonly name = 'role-bindings';
  readonly roleBindings: CachedInformer<V1RoleBinding>;
  readonly clusterRoleBindings: CachedInformer<V1ClusterRoleBinding>;
  readonly informers: Product['informers'];
  readonly workers: Controller<MappingKey>;
  private readonly shared: SharedInputs;

  constructor(shared: SharedInputs, observeWriteToRbac: (seconds: number) => void) {
    this.shared = shared;
    const namespaces = shared.informers.namespaces();
    this.roleBindings = shared.informers.managedRoleBindings();
    this.clusterRoleBindings = shared.informers.managedClusterRoleBindings();
    this.informers = [shared.mappings, namespaces, this.roleBindings, this.clusterRoleBindings];
    const reconciler = new RoleBindingsReconciler({
      kc: shared.kc,
      connectionOf: (mapping) => mappingConnection(mapping, shared.scope.served()),
      operatorNamespace: shared.operatorNamespace,
      mappings: shared.mappings,
      namespaces,
      roleBindings: this.roleBindings,
      clusterRoleBindings: this.clusterRoleBindings,
      identities: shared.identities,
      settings: shared.settings,
      events: shared.events,
      status: shared.status,
      clock: shared.clock,
      observeWriteToRbac,
      onWrite: shared.onWrite,
      countWriteIntervalMs: MAPPING_COUNT_WRITE_INTERVAL_MS,
    });
    this.workers = new Controller({
      name: 'accessmapping',
      keys: mappingKeys,
      reconcile: reconciler.reconcile,
      logger: shared.logger,
      workers: shared.settings.controllers.workers,
      urgentWorkers: 1,
      metrics: shared.controllerMetrics,
    });
    const enqueue = (keys: MappingKey[], lane: Lane = 'ordinary') => {
      for (const key of keys) {
        if (lane === 'urgent') this.workers.enqueueUrgent(key);
        else if (lane === 'coalesced') this.workers.enqueueCoalesced(key, GRANT_COALESCE_MS);
        else this.workers.enqueue(key);
      }
    };
    const mappings = () => shared.mappings.list();
    const { identities } = shared;
    for (const event of EVENTS) {
      shared.mappings.on(event, (o) => this.workers.enqueue(mappingKey(o.metadata.name)));
      namespaces.on(event, () => enqueue(allMappings(mappings())));
      // Mostly the echo of this controller's own writes; drift is repaired within the window.
      this.roleBindings.on(event, (o) => enqueue(ownerMapping(o), 'coalesced'));
      this.clusterRoleBindings.on(event, (o) => enqueue(ownerMapping(o), 'coalesced'));
    }
    identities.onUserChange((user, event) =>
      enqueue(mappingsOfUser(mappings(), user, identities.groupsOfUser(user.metadata.name)), userEventLane(event)),
    );
    identities.onGroupChange((_group, event) => enqueue(allMappings(mappings()), groupEventLane(event)));
    identities.memberships.onChange((groupId, changed) => {
      const group = identities.group(groupId);
      if (!group) return;
      enqueue(
        mappingsOfGroup(mappings(), group),
        membershipLane(groupId, changed, (m) => identities.groupsOf(m)),
      );
    });
  }

  enqueueAll(): void {
    for (const key of allMappings(this.shared.mappings.list())) this.workers.enqueue(key);
  }

  bindingCounts(): { RoleBinding: number; ClusterRoleBinding: number } {
    return { RoleBinding: this.roleBindings.list().length, ClusterRoleBinding: this.clusterRoleBindings.list().length };
  }
}
