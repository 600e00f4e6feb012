import type { ScimClaim } from '../api/scim-claim.ts';
import { unavailable, uniqueness } from '../scim/errors.ts';
import type { ResourceTypeName } from '../scim/schemas.ts';
import { isAlreadyExists, isNotFound } from './api-errors.ts';
import type { ResourceClient } from './kube-client.ts';
import { indexHash } from './resource-mapping.ts';

/** A claim younger than this whose owner does not exist yet may belong to a create still in flight elsewhere. */
const IN_FLIGHT_GRACE_MS = 30_000;
/** How long a create waits for the holder of a young claim to appear: a create in flight finishes within this. */
const OWNER_WAIT_MS = 2_000;

export const uniqueAttribute = (type: ResourceTypeName) => (type === 'User' ? 'userName' : 'displayName');

export function claimName(connection: string, type: ResourceTypeName, value: string): string {
  return `${type.toLowerCase()}-${indexHash(`${connection}\u0000${value.toLowerCase()}`)}`;
}

/** The calls the claims make on the API server. */
export type ClaimClient = Pick<ResourceClient<ScimClaim>, 'create' | 'get' | 'delete'>;

/**
 * Claims are the atomic half of uniqueness (docs/adr/0005-uniqueness-claims.md): creating the claim object is a
 * test-and-set in etcd. A claim whose owner is gone (a crash between claim and create, or a failed release) is
 * taken over once it is older than the grace period.
 */
export class UniquenessClaims {
  private readonly claims: ClaimClient;
  private readonly ownerExists: (type: ResourceTypeName, id: string) => Promise<boolean>;

  constructor(claims: ClaimClient, ownerExists: (type: ResourceTypeName, id: string) => Promise<boolean>) {
    this.claims = claims;
    this.ownerExists = ownerExists;
  }

  async claim(connection: string, type: ResourceTypeName, value: string, owner: string, now: Date): Promise<void> {
    const name = claimName(connection, type, value);
    const attribute = uniqueAttribute(type);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await this.claims.create({
          metadata: { name, labels: { 'scim-operator.dev/connection': connection } },
          spec: { resourceType: type, attribute, value: value.toLowerCase(), owner },
        });
        return;
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
      const existing = await this.claims.get(name).catch((err) => {
        if (isNotFound(err)) return undefined;
        throw err;
      });
      if (!existing) continue;
      if (existing.spec.owner === owner) return;
      const age = now.getTime() - new Date(String(existing.metadata.creationTimestamp)).getTime();
      if (await this.ownerAppears(type, existing.spec.owner, age < IN_FLIGHT_GRACE_MS ? OWNER_WAIT_MS : 0)) {
        throw uniqueness(`A ${type} with ${attribute} "${value}" already exists`);
      }
      if (age < IN_FLIGHT_GRACE_MS) {
        // The holder may be a create still in flight on another replica, or a delete whose release was lost: only
        // time tells, so the client is asked to come back rather than told, perhaps wrongly, that the value is taken.
        throw unavailable(
          `The ${attribute} "${value}" is being created or released elsewhere; retry`,
          Math.max(1, Math.ceil((IN_FLIGHT_GRACE_MS - age) / 1000)),
        );
      }
      await this.claims
        .delete(name, { uid: existing.metadata.uid, resourceVersion: existing.metadata.resourceVersion })
        .catch((err) => {
          if (!isNotFound(err) && (err as { code?: number }).code !== 409) throw err;
        });
    }
    throw uniqueness(`A ${type} with ${attribute} "${value}" already exists`);
  }

  /** Whether the owner exists, or comes to exist within `waitMs` (polled). */
  private async ownerAppears(type: ResourceTypeName, owner: string, waitMs: number): Promise<boolean> {
    const until = Date.now() + waitMs;
    for (;;) {
      if (await this.ownerExists(type, owner)) return true;
      if (Date.now() >= until) return false;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** The id holding `value`, read from its claim; undefined when nothing claims it. */
  async ownerOf(connection: string, type: ResourceTypeName, value: string): Promise<string | undefined> {
    try {
      return (await this.claims.get(claimName(connection, type, value))).spec.owner;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Releases a claim held by `owner`; a claim held by someone else is left alone. */
  async release(connection: string, type: ResourceTypeName, value: string, owner: string): Promise<void> {
    const name = claimName(connection, type, value);
    try {
      const existing = await this.claims.get(name);
      if (existing.spec.owner !== owner) return;
      await this.claims.delete(name, { uid: existing.metadata.uid });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
