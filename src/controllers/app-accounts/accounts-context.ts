import type { KubeConfig } from '@kubernetes/client-node';
import type { AccessMapping } from '../../api/access-mapping.ts';
import { appSpec, type DownstreamApp, type DownstreamAppSpec, type SecretKeyRef } from '../../api/downstream-app.ts';
import type { ScimUser } from '../../api/scim-user.ts';
import type { SecretReader } from '../../downstream/credentials.ts';
import type { DestinationFence } from '../../downstream/destination-fence.ts';
import type { Clock } from '../../runtime/clock.ts';
import type { CachedInformer } from '../../runtime/informer.ts';
import type { EventRecorder } from '../shared/event-recorder.ts';
import type { IdentityCache } from '../shared/identity-cache.ts';
import type { WriteObserver } from '../shared/shared-inputs.ts';
import type { StatusWriter } from '../shared/status-writer.ts';
import type { AccountLedger } from './account-ledger.ts';
import type { AppClients } from './app-clients.ts';
import type { DownstreamFinalizer } from './downstream-finalizer.ts';
import type { AccountsKey } from './keys.ts';

export interface AppAccountsDeps {
  kc: KubeConfig;
  users: CachedInformer<ScimUser>;
  apps: CachedInformer<DownstreamApp>;
  /** The AccessMappings this installation applies, each naming its connection (connection-scope.ts). */
  mappings: { list(): AccessMapping[] };
  identities: IdentityCache;
  clients: AppClients;
  readSecret: SecretReader;
  /** Whether the Secret's scim-operator.dev/allowed-apps annotation grants this key to this app. */
  credentialAllowed(ref: SecretKeyRef, app: string): boolean;
  fence: DestinationFence;
  events: EventRecorder;
  status: StatusWriter;
  /** Whether this installation manages the app (its connection is one of ours, or it names none). */
  serves(app: DownstreamApp): boolean;
  enqueue(key: AccountsKey): void;
  clock: Clock;
  onWrite: WriteObserver;
}

/** What the two halves of the controller share: the dependencies, the ledger of accounts and the finalizer. */
export interface AccountsContext {
  deps: AppAccountsDeps;
  ledger: AccountLedger;
  finalizer: DownstreamFinalizer;
}

/** The app's spec, or undefined when it does not parse (the app's status says so). */
export function safeSpec(app: DownstreamApp): DownstreamAppSpec | undefined {
  try {
    return appSpec(app);
  } catch {
    return undefined;
  }
}
