/**
 * What the benchmark reads from the cluster as an administrator: mapping readiness, whether the controllers still
 * write, etcd's database size and the largest stored object. Mapping polls are LISTs of accessmappings, which the
 * request split leaves out (the operator's own informers list once, before the measured window).
 */

import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import type { AccessMapping } from '../../src/api/access-mapping.ts';
import { API_GROUP, API_VERSION } from '../../src/api/crd-builder.ts';
import { requestRaw } from '../../src/control-plane/kube-http.ts';
import { apiserverRequests, type RequestCounts } from '../support/apiserver-requests.ts';

// biome-ignore lint/suspicious/noExplicitAny: list items are arbitrary objects measured by their JSON size
type Item = any;

export async function listAll(admin: KubeConfig, apiPath: string): Promise<Item[]> {
  const items: Item[] = [];
  let cont = '';
  do {
    const res = await requestRaw(
      admin,
      'GET',
      `${apiPath}?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`,
    );
    if (res.status !== 200) throw new Error(`GET ${apiPath} answered ${res.status}`);
    const page = JSON.parse(res.body);
    items.push(...page.items);
    cont = page.metadata?.continue ?? '';
  } while (cont);
  return items;
}

const ours = (plural: string) => `/apis/${API_GROUP}/${API_VERSION}/${plural}`;

/** Names of the mappings Ready for their generation whose subject count is one of those allowed. */
export async function readyMappings(admin: KubeConfig, subjects: Map<string, number[]>): Promise<number> {
  const mappings = (await listAll(admin, ours('accessmappings'))) as AccessMapping[];
  return mappings.filter((m) => {
    const allowed = subjects.get(m.metadata.name);
    const status = m.status;
    return (
      allowed !== undefined &&
      status?.observedGeneration === m.metadata.generation &&
      status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') &&
      allowed.includes(status?.subjectCount ?? -1)
    );
  }).length;
}

const WRITE_VERBS = new Set(['POST', 'PUT', 'PATCH', 'DELETE', 'DELETECOLLECTION', 'APPLY']);

/** Writes the API server served, from its counter; after the SCIM load, only the controllers write. */
export function writesIn(counts: RequestCounts, resources: string[]): number {
  let n = 0;
  for (const [key, value] of counts) {
    const [verb, resource] = key.split(' ');
    if (WRITE_VERBS.has(verb ?? '') && resources.includes(resource?.split('/')[0] ?? '')) n += value;
  }
  return n;
}

/**
 * Waits until no write to `resources` has been served for `quietMs`; returns the time of the last one seen (or
 * undefined on timeout).
 */
export async function untilWritesStop(
  admin: KubeConfig,
  resources: string[],
  quietMs: number,
  timeoutMs: number,
): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  let last = writesIn(await apiserverRequests(admin), resources);
  let lastChange = Date.now();
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1000));
    const current = writesIn(await apiserverRequests(admin), resources);
    if (current !== last) {
      last = current;
      lastChange = Date.now();
    } else if (Date.now() - lastChange >= quietMs) {
      return lastChange;
    }
  }
  return undefined;
}

/** etcd's bbolt file: the size `etcd_mvcc_db_total_size_in_bytes` reports. */
export async function etcdDbBytes(planeDir: string): Promise<number> {
  return (await stat(path.join(planeDir, 'etcd', 'member', 'snap', 'db'))).size;
}

export interface LargestObject {
  kind: string;
  name: string;
  bytes: number;
}

/** The largest object by JSON size among the kinds a big company makes large. */
export async function largestObject(admin: KubeConfig): Promise<LargestObject[]> {
  const kinds: [string, string][] = [
    ['ScimGroupMembers', ours('scimgroupmembers')],
    ['RoleBinding', '/apis/rbac.authorization.k8s.io/v1/rolebindings'],
    ['AccessMapping', ours('accessmappings')],
    ['ScimGroup', ours('scimgroups')],
  ];
  const largest: LargestObject[] = [];
  for (const [kind, apiPath] of kinds) {
    let top: LargestObject = { kind, name: '-', bytes: 0 };
    for (const item of await listAll(admin, apiPath)) {
      const bytes = Buffer.byteLength(JSON.stringify(item));
      if (bytes > top.bytes) top = { kind, name: item.metadata?.name ?? '?', bytes };
    }
    largest.push(top);
  }
  return largest.sort((a, b) => b.bytes - a.bytes);
}
