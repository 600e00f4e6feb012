import { ApiException } from '@kubernetes/client-node';
import type { ScimGroupMembers } from '../api/scim-group-members.ts';

/** The API server's answers a member write reacts to, as client-node throws them. */
export const conflict = () => new ApiException(409, 'Conflict', JSON.stringify({ code: 409, reason: 'Conflict' }), {});
export const alreadyExists = () =>
  new ApiException(409, 'Conflict', JSON.stringify({ code: 409, reason: 'AlreadyExists' }), {});
export const notFound = () => new ApiException(404, 'Not Found', '{"code":404}', {});

/**
 * Member shards held as the API server holds them, for unit tests of the writes: a replace conditioned on the
 * resourceVersion, a create refused when the name exists, every answer a copy. `bump` gives the next resourceVersion,
 * shared with whatever else the test stores.
 */
export function inMemoryShards(bump: () => string) {
  const shards = new Map<string, ScimGroupMembers>();
  const store = (shard: ScimGroupMembers) => {
    const stored = { ...structuredClone(shard), metadata: { ...shard.metadata, resourceVersion: bump() } };
    shards.set(shard.metadata.name, stored);
    return structuredClone(stored);
  };
  return {
    shards,
    /** Stores `shard` as is, with a new resourceVersion. */
    store,
    get: async (name: string) => {
      const shard = shards.get(name);
      if (!shard) throw notFound();
      return structuredClone(shard);
    },
    replace: async (shard: ScimGroupMembers) => {
      const stored = shards.get(shard.metadata.name);
      if (!stored) throw notFound();
      if (stored.metadata.resourceVersion !== shard.metadata.resourceVersion) throw conflict();
      return store(shard);
    },
    create: async (shard: Omit<ScimGroupMembers, 'apiVersion' | 'kind'>) => {
      if (shards.has(shard.metadata.name)) throw alreadyExists();
      return store({ apiVersion: 'scim-operator.dev/v1alpha1', kind: 'ScimGroupMembers', ...shard });
    },
    list: async () => [...shards.values()].map((shard) => structuredClone(shard)),
  };
}
