/**
 * The same four requests against any SCIM server, from the one load generator: a `userName eq` lookup, GET by id,
 * POST of a new user and a member PATCH adding one user to a group. Sizes are what the server was seeded with.
 */

import { type LoadResult, runLoad } from '../support/load.ts';
import { peerUser } from './peer-user.ts';

export interface LoadTarget {
  server: string;
  size: number;
  baseUrl: string;
  token: string;
  userName(i: number): string;
  id(i: number): string;
  /** An existing group the member PATCHes add to. */
  groupId: string;
}

export const REQUESTS = ['userName eq', 'GET by id', 'POST /Users', 'member PATCH'] as const;
export type RequestName = (typeof REQUESTS)[number];

export interface Measured {
  server: string;
  size: number;
  request: RequestName;
  result: LoadResult;
}

let runs = 0;

export async function measureTarget(target: LoadTarget, concurrency: number, durationMs: number): Promise<Measured[]> {
  const tag = `post${process.pid}x${runs++}`;
  const n = target.size;
  const plans: Record<RequestName, Parameters<typeof runLoad>[0]['request']> = {
    'userName eq': (k) => ({
      method: 'GET',
      path: `/Users?filter=${encodeURIComponent(`userName eq "${target.userName((k * 7919) % n)}"`)}`,
    }),
    'GET by id': (k) => ({ method: 'GET', path: `/Users/${target.id((k * 7919) % n)}` }),
    'POST /Users': (k) => ({ method: 'POST', path: '/Users', body: peerUser(k, tag) }),
    'member PATCH': (k) => ({
      method: 'PATCH',
      path: `/Groups/${target.groupId}`,
      body: {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'add', path: 'members', value: [{ value: target.id(k % n) }] }],
      },
    }),
  };
  const measured: Measured[] = [];
  for (const request of REQUESTS) {
    const result = await runLoad({
      baseUrl: target.baseUrl,
      token: target.token,
      concurrency,
      durationMs,
      request: plans[request],
      ok: (status) => status >= 200 && status < 300,
    });
    measured.push({ server: target.server, size: target.size, request, result });
  }
  return measured;
}
