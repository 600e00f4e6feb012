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
    return data === undefined ? undefined : Buffer.from(data, 'base64').toString('utf8');
  };

  /** Whether the Secret's scim-operator.dev/allowed-apps annotation grants this key to this app. */
  allowed = (ref: SecretKeyRef, app: string): boolean => grantedApps(this.secret(ref.name), ref.key).has(app);
}
