/**
 * Users written straight to the API server as the same objects POST /Users stores (the uniqueness claim, then the
 * ScimUser with its index labels, annotations and spec): seeding 10,000 or 100,000 users through the endpoint would
 * dominate a run. userName lookups read the claim, so it is written too.
 */

import type { KubeConfig } from '@kubernetes/client-node';
import { annotations, labels } from '../../src/api/labels.ts';
import { type ScimClaim, scimClaimKind } from '../../src/api/scim-claim.ts';
import { type ScimUser, scimUserKind } from '../../src/api/scim-user.ts';
import { ResourceClient } from '../../src/store/kube-client.ts';
import { indexLabels, toSpec } from '../../src/store/resource-mapping.ts';
import { claimName } from '../../src/store/uniqueness-claims.ts';
import { inParallel } from './measure.ts';

export interface SeededUser {
  id: string;
  userName: string;
  externalId: string;
}

export function userAttributes(prefix: string, i: number) {
  return {
    userName: `${prefix}-${i}@example.com`,
    externalId: `${prefix}-ext-${i}`,
    active: true,
    name: { givenName: 'Bench', familyName: `User ${i}` },
    emails: [{ value: `${prefix}-${i}@example.com`, type: 'work', primary: true }],
  };
}

/** The object POST /Users would create for `attributes`. */
export function scimUserObject(connection: string, id: string, attributes: Record<string, unknown>) {
  const created = new Date().toISOString();
  return {
    metadata: {
      name: id,
      labels: indexLabels(connection, 'User', attributes),
      annotations: { [annotations.created]: created, [annotations.lastModified]: created },
    },
    spec: toSpec('User', attributes),
  } as Omit<ScimUser, 'apiVersion' | 'kind'>;
}

export async function seedUsers(
  kc: KubeConfig,
  connection: string,
  count: number,
  prefix: string,
  concurrency = 32,
): Promise<SeededUser[]> {
  const users = new ResourceClient<ScimUser>(kc, scimUserKind.kind, scimUserKind.plural);
  const claims = new ResourceClient<ScimClaim>(kc, scimClaimKind.kind, scimClaimKind.plural);
  const seeded: SeededUser[] = new Array(count);
  await inParallel(count, concurrency, async (i) => {
    const id = crypto.randomUUID();
    const attributes = userAttributes(prefix, i);
    await claims.create({
      metadata: {
        name: claimName(connection, 'User', attributes.userName),
        labels: { [labels.connection]: connection },
      },
      spec: { resourceType: 'User', attribute: 'userName', value: attributes.userName.toLowerCase(), owner: id },
    });
    await users.create(scimUserObject(connection, id, attributes));
    seeded[i] = { id, userName: attributes.userName, externalId: attributes.externalId };
  });
  return seeded;
}
