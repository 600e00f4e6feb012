import type { V1Secret } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { CachedInformer } from '../../runtime/informer.ts';
import type { InformerFactory } from '../shared/informer-factory.ts';
import { CredentialSecrets } from './credential-secrets.ts';

function secretsWith(current: { secret: V1Secret | undefined }) {
  const factory = {
    secret: () => ({ get: () => current.secret }) as unknown as CachedInformer<V1Secret>,
  } as unknown as InformerFactory;
  return new CredentialSecrets(factory, 'operator', ['creds']);
}

const ref = { name: 'creds', key: 'token' };
const granted = (apps: string[]): V1Secret => ({
  metadata: { name: 'creds', annotations: { 'scim-operator.dev/allowed-apps': JSON.stringify({ token: apps }) } },
  data: { token: Buffer.from('s3cret').toString('base64') },
});

describe('CredentialSecrets', () => {
  it('flags a Secret that refused a grant until its next event asks, once', () => {
    const current = { secret: granted(['wiki']) as V1Secret | undefined };
    const secrets = secretsWith(current);
    expect(secrets.allowed(ref, 'mail')).toBe(false);
    expect(secrets.takeRefusal('creds')).toBe(true);
    expect(secrets.takeRefusal('creds')).toBe(false);
  });

  it('flags nothing when the grant and the key are there', () => {
    const secrets = secretsWith({ secret: granted(['mail']) });
    expect(secrets.allowed(ref, 'mail')).toBe(true);
    expect(secrets.read(ref)).toBe('s3cret');
    expect(secrets.takeRefusal('creds')).toBe(false);
  });

  it('flags a Secret whose key could not be read (not in the cache yet)', () => {
    const secrets = secretsWith({ secret: undefined });
    expect(secrets.read(ref)).toBeUndefined();
    expect(secrets.takeRefusal('creds')).toBe(true);
  });
});
