import type { DownstreamApp } from '../../api/downstream-app.ts';
import { apiServerHosts, DestinationFence } from '../../downstream/destination-fence.ts';
import { DownstreamMetrics } from '../../observability/downstream-metrics.ts';
import { Controller } from '../../runtime/controller.ts';
import type { CachedInformer } from '../../runtime/informer.ts';
import { exponentialRateLimiter } from '../../runtime/work-queue.ts';
import type { Product } from '../shared/product.ts';
import type { SharedInputs } from '../shared/shared-inputs.ts';
import { AccountLedger } from './account-ledger.ts';
import { AppClients } from './app-clients.ts';
import { CredentialSecrets } from './credential-secrets.ts';
import { type AccountsKey, accountsKey, accountsKeys, appKey } from './keys.ts';
import { AppAccountsReconciler } from './reconcile.ts';
import { appKeys, pushingAppKeys, SpecChanges, secretKeys, userAccountKeys } from './watches.ts';

const EVENTS = ['add', 'update', 'delete'] as const;

/**
 * ScimUsers x DownstreamApps -> accounts in downstream SCIM services. Watches the apps, the mappings, the identities,
 * the memberships and the credential Secrets; keys are users and apps (keys.ts).
 */
export class AppAccountsProduct implements Product {
  readonly name = 'app-accounts';
  readonly apps: CachedInformer<DownstreamApp>;
  readonly informers: Product['informers'];
  readonly optionalInformers: Product['optionalInformers'];
  readonly workers: Controller<AccountsKey>;
  private readonly clients: AppClients;
  private readonly shared: SharedInputs;

  constructor(shared: SharedInputs) {
    this.shared = shared;
    const { identities, settings, operatorNamespace } = shared;
    this.apps = shared.informers.customResources<DownstreamApp>('downstreamapps');
    const secrets = new CredentialSecrets(shared.informers, operatorNamespace, settings.downstream.secretNames);
    this.informers = [this.apps];
    // Not awaited, nor part of readiness: a Secret the operator may not read (or that does not exist yet) must not
    // keep it from serving SCIM; apps using it report Authenticated=False (SecretNotFound) until it is readable.
    this.optionalInformers = secrets.informers;
    const fence = new DestinationFence({
      allowed: settings.downstream.allowedAddresses,
      apiServerHosts: apiServerHosts(shared.kc.getCurrentCluster()?.server),
    });
    const enqueue = (keys: AccountsKey[]) => {
      for (const key of keys) this.workers.enqueue(key);
    };
    const ledger = new AccountLedger(identities.userInformer);
    const metrics = new DownstreamMetrics(shared.metrics.registry, () => ledger.accountsByState());
    this.clients = new AppClients({
      readSecret: secrets.read,
      credentialAllowed: secrets.allowed,
      fence,
      observe: (app, method, code, seconds) => metrics.observe(app, method, code, seconds),
      onHealthChange: (app) => this.workers.enqueue(appKey(app)),
    });
    const reconciler = new AppAccountsReconciler(ledger, {
      kc: shared.kc,
      users: identities.userInformer,
      apps: this.apps,
      // Connection-less mappings read as their one served connection; ambiguous ones assign nothing.
      mappings: { list: () => shared.scope.explicitMappings() },
      identities,
      clients: this.clients,
      readSecret: secrets.read,
      credentialAllowed: secrets.allowed,
      fence,
      events: shared.events,
      status: shared.status,
      serves: (app) =>
        operatorNamespace !== undefined && (!app.spec.connection || shared.scope.serves(app.spec.connection)),
      enqueue: (key) => this.workers.enqueue(key),
      clock: shared.clock,
      onWrite: shared.onWrite,
    });
    this.workers = new Controller({
      name: 'downstreamaccounts',
      keys: accountsKeys,
      reconcile: reconciler.reconcile,
      logger: shared.logger,
      // Downstream requests wait on the network, not the CPU; each app's own limits cap what reaches it.
      workers: settings.controllers.workers * 4,
      metrics: shared.controllerMetrics,
      rateLimiter: exponentialRateLimiter({ baseMs: 500, maxMs: 120_000 }),
    });

    const apps = () => this.apps.list();
    const users = () => identities.users();
    const appSpecs = new SpecChanges();
    const mappingSpecs = new SpecChanges();
    for (const event of EVENTS) {
      this.apps.on(event, (app) => {
        this.workers.enqueue(appKey(app.metadata.name));
        if (appSpecs.changed(app, event)) enqueue(userAccountKeys(users()));
      });
      shared.mappings.on(event, (mapping) => {
        if (mappingSpecs.changed(mapping, event)) this.enqueueAll();
      });
      for (const informer of secrets.informers)
        informer.on(event, (secret) => {
          const name = secret.metadata?.name ?? '';
          // After a refusal every user runs again (rare: a grant or a key added after an app was used without it).
          if (secrets.takeRefusal(name)) enqueue(userAccountKeys(users()));
          enqueue(secretKeys(name, apps(), users(), (u) => ledger.entriesOf(u)));
        });
    }
    identities.onUserChange((user) => this.workers.enqueue(accountsKey(user.metadata.name)));
    // Member changes arrive through the membership index; a group event matters only when the group itself changed.
    identities.onGroupChange((group) => {
      enqueue(identities.membersOf(group.metadata.name).map(accountsKey));
      enqueue(pushingAppKeys(apps()));
    });
    identities.memberships.onChange((_groupId, members) => {
      enqueue([...members].map(accountsKey));
      enqueue(pushingAppKeys(apps()));
    });
  }

  enqueueAll(): void {
    for (const key of userAccountKeys(this.shared.identities.users())) this.workers.enqueue(key);
    for (const key of appKeys(this.apps.list())) this.workers.enqueue(key);
  }

  close(): void {
    this.clients.close();
  }
}
