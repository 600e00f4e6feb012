import { labels } from '../../api/labels.ts';
import type { ScimUser } from '../../api/scim-user.ts';
import { Controller } from '../../runtime/controller.ts';
import type { CachedInformer } from '../../runtime/informer.ts';
import { protectedNamespaces } from '../role-bindings/desired-role-bindings.ts';
import type { Product } from '../shared/product.ts';
import type { SharedInputs } from '../shared/shared-inputs.ts';
import { unmanagedCondition } from './find-unmanaged.ts';
import { type UnmanagedKey, unmanagedKeys, unmanagedUserKey } from './keys.ts';
import { UnmanagedAccessReconciler } from './reconcile.ts';
import { UnmanagedIndex } from './unmanaged-index.ts';
import { subjectKeys } from './watches.ts';

/**
 * Rogue-access detection: every RoleBinding and ClusterRoleBinding the operator did not generate, checked against
 * the users who may hold no access. Keys are users; it writes no status (identity-status writes the
 * `UnmanagedAccess` condition from `findingOf`), only Events, and binding edits when removal is switched on.
 */
export class UnmanagedAccessProduct implements Product {
  readonly name = 'unmanaged-access';
  readonly informers: Product['informers'];
  readonly workers: Controller<UnmanagedKey>;
  readonly index: UnmanagedIndex;
  readonly reconciler: UnmanagedAccessReconciler;
  private readonly shared: SharedInputs;

  constructor(shared: SharedInputs) {
    this.shared = shared;
    const roleBindings = shared.informers.unmanagedRoleBindings();
    const clusterRoleBindings = shared.informers.unmanagedClusterRoleBindings();
    this.informers = [roleBindings, clusterRoleBindings] as CachedInformer<unknown>[];
    this.index = new UnmanagedIndex([roleBindings, clusterRoleBindings]);
    const { identities } = shared;
    this.reconciler = new UnmanagedAccessReconciler({
      kc: shared.kc,
      identities,
      serves: (user: ScimUser) => shared.scope.serves(user.metadata.labels?.[labels.connection]),
      rule: shared.settings.subjects,
      index: this.index,
      roleBindings,
      clusterRoleBindings,
      events: shared.events,
      removeSubjects: shared.settings.unmanagedAccess.removeSubjects,
      protectedNamespaces: protectedNamespaces(shared.settings, shared.operatorNamespace),
      onWrite: shared.onWrite,
    });
    this.workers = new Controller({
      name: 'unmanagedaccess',
      keys: unmanagedKeys,
      reconcile: this.reconciler.reconcile,
      logger: shared.logger,
      workers: shared.settings.controllers.workers,
      metrics: shared.controllerMetrics,
    });
    const usersWithSubject = (subject: string) => identities.usersWithSubject(subject);
    this.index.onChange((subjects) => {
      for (const key of subjectKeys(subjects, usersWithSubject)) this.workers.enqueue(key);
    });
    identities.onUserChange((user) => this.workers.enqueue(unmanagedUserKey(user.metadata.name)));
  }

  /** The UnmanagedAccess condition, for identity-status (which owns ScimUser status) to write. */
  userCondition() {
    return {
      type: 'UnmanagedAccess',
      of: (user: ScimUser, present: boolean) => unmanagedCondition(this.reconciler.findingOf(user), present),
      onChange: (listener: (subjects: string[]) => void) => this.index.onChange(listener),
    };
  }

  enqueueAll(): void {
    for (const u of this.shared.identities.users()) this.workers.enqueue(unmanagedUserKey(u.metadata.name));
  }
}
