import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { ScimClaim } from '../api/scim-claim.ts';
import { ScimError } from '../scim/errors.ts';
import { type ClaimClient, UniquenessClaims } from './uniqueness-claims.ts';

const apiError = (code: number, reason: string) =>
  new ApiException(code, reason, JSON.stringify({ kind: 'Status', code, reason }), {});

/** Claim objects by name, with creation times the test sets, behind the three calls UniquenessClaims makes. */
function claimsAt(createdAt: Date) {
  const objects = new Map<string, ScimClaim>();
  let uid = 0;
  const client = {
    async create(obj: ScimClaim) {
      if (objects.has(obj.metadata.name)) throw apiError(409, 'AlreadyExists');
      const stored = {
        ...obj,
        metadata: { ...obj.metadata, uid: `uid-${++uid}`, resourceVersion: '1', creationTimestamp: createdAt },
      } as ScimClaim;
      objects.set(obj.metadata.name, stored);
      return stored;
    },
    async get(name: string) {
      const found = objects.get(name);
      if (!found) throw apiError(404, 'NotFound');
      return found;
    },
    async delete(name: string) {
      objects.delete(name);
    },
  };
  return { objects, client: client satisfies ClaimClient };
}

const now = new Date('2026-12-05T08:00:00Z');
const secondsAgo = (s: number) => new Date(now.getTime() - s * 1000);

async function failure(promise: Promise<unknown>): Promise<ScimError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ScimError);
  return err as ScimError;
}

describe('UniquenessClaims.claim', () => {
  it('refuses with 409 uniqueness a value whose holder exists', async () => {
    const { client } = claimsAt(secondsAgo(3600));
    const claims = new UniquenessClaims(client, async () => true);
    await claims.claim('entra', 'User', 'ada@example.com', 'first', now);
    const err = await failure(claims.claim('entra', 'User', 'ADA@example.com', 'second', now));
    expect(err).toMatchObject({ status: 409, scimType: 'uniqueness' });
  });

  it('takes over a claim older than the grace period whose holder does not exist (a lost release)', async () => {
    const { client, objects } = claimsAt(secondsAgo(60));
    const claims = new UniquenessClaims(client, async () => false);
    await claims.claim('entra', 'User', 'ada@example.com', 'deleted-user', now);
    await claims.claim('entra', 'User', 'ada@example.com', 'new-user', now);
    expect([...objects.values()].map((c) => c.spec.owner)).toEqual(['new-user']);
  });

  it('answers 503 with Retry-After, not a false 409, while a young claim has no holder after waiting for one', async () => {
    const { client } = claimsAt(secondsAgo(10));
    const claims = new UniquenessClaims(client, async () => false);
    await claims.claim('entra', 'User', 'ada@example.com', 'released-late', now);
    const err = await failure(claims.claim('entra', 'User', 'ada@example.com', 'again', now));
    expect(err.status).toBe(503);
    expect(err.retryAfterSeconds).toBe(20);
  });

  it('answers 409 when the holder of a young claim appears while the create waits (a create in flight elsewhere)', async () => {
    const { client } = claimsAt(secondsAgo(0));
    let checks = 0;
    const claims = new UniquenessClaims(client, async () => ++checks >= 3);
    await claims.claim('entra', 'User', 'ada@example.com', 'in-flight', now);
    const err = await failure(claims.claim('entra', 'User', 'ada@example.com', 'loser', now));
    expect(err).toMatchObject({ status: 409, scimType: 'uniqueness' });
    expect(checks).toBe(3);
  });
});
