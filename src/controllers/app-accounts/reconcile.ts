import type { ScimUser } from '../../api/scim-user.ts';
import type { ReconcileContext, ReconcileResult } from '../../runtime/reconciler.ts';
import type { AccountLedger } from './account-ledger.ts';
import type { AppEntry } from './account-sync.ts';
import type { AppAccountsDeps } from './accounts-context.ts';
import { AppStatusReconciler } from './app-status.ts';
import { DownstreamFinalizer } from './downstream-finalizer.ts';
import type { AccountsKey } from './keys.ts';
import { UserAccountsReconciler } from './user-accounts.ts';

/**
 * Keeps downstream accounts equal to the assignments. A `ScimUser` key syncs that user's accounts
 * (user-accounts.ts); a `DownstreamApp` key writes the app's status, pushes its groups and ends its finalizer
 * (app-status.ts). A user's accounts live in `ScimUser.status.apps`, written as a merge patch of that field only,
 * so the identity status controller's fields are never touched.
 */
export class AppAccountsReconciler {
  readonly ledger: AccountLedger;
  private readonly users: UserAccountsReconciler;
  private readonly apps: AppStatusReconciler;

  constructor(ledger: AccountLedger, deps: AppAccountsDeps) {
    this.ledger = ledger;
    const context = { deps, ledger: this.ledger, finalizer: new DownstreamFinalizer(deps.kc, deps.onWrite) };
    this.users = new UserAccountsReconciler(context);
    this.apps = new AppStatusReconciler(context);
  }

  reconcile = async (key: AccountsKey, context: ReconcileContext): Promise<ReconcileResult> =>
    key.kind === 'DownstreamApp' ? this.apps.reconcile(key.name, context) : this.users.reconcile(key.name, context);

  entriesOf(user: ScimUser): AppEntry[] {
    return this.ledger.entriesOf(user);
  }
}
