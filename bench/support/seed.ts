/**
 * Users written straight to the API server as the same ScimUser objects POST /Users stores (index labels,
 * annotations, spec), without the uniqueness claim: seeding 10,000 or 100,000 users through the endpoint would
 * dominate a run. Lookups and membership checks do not read claims, so they see these users like posted ones.
 */

import type { KubeConfig } from '@kubernetes/client-node';
import { annotations } from '../../src/api/labels.ts';
import { type ScimUser, scimUserKind } from '../../src/api/scim-user.ts';
import { ResourceClient } from '../../src/store/kube-client.ts';
import { indexLabels, toSpec } from '../../src/store/resource-mapping.ts';
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
  const seeded: SeededUser[] = new Array(count);
  await inParallel(count, concurrency, async (i) => {
    const id = crypto.randomUUID();
    const attributes = userAttributes(prefix, i);
    await users.create(scimUserObject(connection, id, attributes));
    seeded[i] = { id, userName: attributes.userName, externalId: attributes.externalId };
  });
  return seeded;
}
