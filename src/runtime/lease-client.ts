import { CoordinationV1Api, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { makeApiClient } from './api-client.ts';
import { isNotFound } from './kube-errors.ts';

/** One Lease, bound to its namespace and name. `read` resolves `undefined` when it does not exist. */
export interface LeaseClient {
  read(): Promise<V1Lease | undefined>;
  create(lease: V1Lease): Promise<V1Lease>;
  /** Must fail (409) when `lease.metadata.resourceVersion` is stale. */
  replace(lease: V1Lease): Promise<V1Lease>;
}

/** The fields client-go compares to decide whether the record changed since it was last observed. */
export function recordOf(lease: V1Lease): string {
  const s = lease.spec ?? {};
  const time = (t: unknown) => (t instanceof Date ? t.toISOString() : String(t ?? ''));
  return JSON.stringify([
    s.holderIdentity ?? '',
    s.leaseDurationSeconds ?? 0,
    time(s.acquireTime),
    time(s.renewTime),
    s.leaseTransitions ?? 0,
  ]);
}

export function leaseClientFor(kc: KubeConfig, namespace: string, name: string): LeaseClient {
  // Its own pool: a renewal never waits for a connection behind the controllers' or the endpoint's requests.
  const api = makeApiClient(kc, CoordinationV1Api, { pool: 'leader-election' });
  return {
    async read() {
      try {
        return await api.readNamespacedLease({ name, namespace });
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    create: (body) => api.createNamespacedLease({ namespace, body }),
    replace: (body) => api.replaceNamespacedLease({ name, namespace, body }),
  };
}
