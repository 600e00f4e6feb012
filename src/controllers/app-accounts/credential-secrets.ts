import type { V1Secret } from '@kubernetes/client-node';
import type { SecretKeyRef } from '../../api/downstream-app.ts';
import type { CachedInformer } from '../../runtime/informer.ts';
import type { InformerFactory } from '../shared/informer-factory.ts';
import { grantedApps } from './credential-grants.ts';

/**
 * The Secrets DownstreamApps may take credentials from: the names settings list, in the operator's namespace, one
 * informer each (the operator may read only these). Without a namespace no Secret, and so no app, is served.
 */
export class CredentialSecrets {
  readonly informers: CachedInformer<V1Secret>[];
  private readonly names: ReadonlySet<string>;
  private readonly namespace: string | undefined;
  /** Secrets that refused a read or a grant since their last informer event (`takeRefusal`). */
  private readonly refused = new Set<string>();

  constructor(factory: InformerFactory, namespace: string | undefined, names: readonly string[]) {
    this.namespace = namespace;
    this.names = new Set(names);
    this.informers = namespace ? [...this.names].map((name) => factory.secret(namespace, name)) : [];
  }

  private secret(name: string): V1Secret | undefined {
    if (!this.names.has(name)) return undefined;
    return this.informers.map((i) => i.get(name, this.namespace)).find((o) => o !== undefined);
  }

  read = (ref: SecretKeyRef): string | undefined => {
    const data = this.secret(ref.name)?.data?.[ref.key];
    if (data === undefined) this.refused.add(ref.name);
    return data === undefined ? undefined : Buffer.from(data, 'base64').toString('utf8');
  };

  /** Whether the Secret's scim-operator.dev/allowed-apps annotation grants this key to this app. */
  allowed = (ref: SecretKeyRef, app: string): boolean => {
    const granted = grantedApps(this.secret(ref.name), ref.key).has(app);
    if (!granted) this.refused.add(ref.name);
    return granted;
  };

  /**
   * Whether `name` refused a read or a grant since this was last asked, and forgets it. The wiring asks on each
   * event of the Secret: a sync refused by the copy just replaced must run again, even if its Failed entry is not
   * in the cache yet (its status write may still be in flight when the grant arrives, so the ledger cannot say).
   * The check and the cache update are each synchronous, so a refusal either saw the new copy or is flagged here.
   */
  takeRefusal(name: string): boolean {
    return this.refused.delete(name);
  }
}
