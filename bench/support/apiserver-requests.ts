/**
 * Requests the API server served, from its own `apiserver_request_total` counter: an independent count that covers
 * every client, including the operator's informers and controllers that no client-side counter sees.
 */

import type { KubeConfig } from '@kubernetes/client-node';
import { requestRaw } from '../../src/control-plane/kube-http.ts';

/** Counts by `verb resource[/subresource]`, watches excluded (a watch is one long request, not per change). */
export type RequestCounts = Map<string, number>;

export async function apiserverRequests(admin: KubeConfig): Promise<RequestCounts> {
  const res = await requestRaw(admin, 'GET', '/metrics');
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`);
  const counts: RequestCounts = new Map();
  for (const line of res.body.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const labels = Object.fromEntries(
      [...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]] as [string, string]),
    );
    if (labels.verb === 'WATCH') continue;
    const key = `${labels.verb} ${labels.resource}${labels.subresource ? `/${labels.subresource}` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return counts;
}

/** What was served between two snapshots, restricted to `resources` (all when empty). */
export function requestsBetween(before: RequestCounts, after: RequestCounts, resources: string[] = []): RequestCounts {
  const delta: RequestCounts = new Map();
  for (const [key, value] of after) {
    const resource = key.split(' ')[1]?.split('/')[0] ?? '';
    if (resources.length > 0 && !resources.includes(resource)) continue;
    const diff = value - (before.get(key) ?? 0);
    if (diff > 0) delta.set(key, diff);
  }
  return delta;
}

export const total = (counts: RequestCounts) => [...counts.values()].reduce((a, b) => a + b, 0);

export function describeCounts(counts: RequestCounts): string {
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([key, value]) => `${key} ${value}`)
    .join(', ');
}
