import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { AppsV1Api, CoordinationV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { LocalNode } from '../../src/control-plane/node/local-node.ts';

const run = promisify(execFile);
export const chartDir = path.resolve(import.meta.dirname, '../../charts/scim-operator');

/** The node's control plane through helm and the client, for test/node/ suites. */
export function nodeClients(node: LocalNode) {
  const kc = new KubeConfig();
  kc.loadFromFile(node.cluster.adminKubeconfig);
  const helm = async (args: string[]) => {
    try {
      return await run(node.cluster.binaries.helm, [...args, `--kubeconfig=${node.cluster.adminKubeconfig}`], {
        maxBuffer: 64 * 1024 * 1024,
        env: {
          ...process.env,
          HELM_CACHE_HOME: path.join(node.dir, 'helm/cache'),
          HELM_CONFIG_HOME: path.join(node.dir, 'helm/config'),
          HELM_DATA_HOME: path.join(node.dir, 'helm/data'),
        },
      });
    } catch (err) {
      const e = err as { stderr?: string; stdout?: string; message: string };
      throw new Error(`helm ${args[0]} failed: ${e.stderr || e.stdout || e.message}`);
    }
  };
  return {
    kc,
    helm,
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    leases: kc.makeApiClient(CoordinationV1Api),
  };
}

/** A SCIM client that retries 503 (what an IdP does) and counts every reply by status. */
export function retryingScimClient(baseUrl: string, token: string) {
  const statuses: number[] = [];
  const failures: string[] = [];
  const request = async (method: string, pathName: string, body?: unknown) => {
    for (let attempt = 0; attempt < 20; attempt++) {
      let status = 0;
      let text = '';
      try {
        const res = await fetch(`${baseUrl}${pathName}`, {
          method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(10_000),
        });
        status = res.status;
        text = await res.text();
      } catch (err) {
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        failures.push(
          `${method} ${pathName}: ${(err as Error).message} (${cause?.code ?? cause?.message ?? 'no cause'})`,
        );
        return { status: 0, body: {} as Record<string, unknown> };
      }
      statuses.push(status);
      if (status === 503) {
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      if (status >= 400) failures.push(`${method} ${pathName}: ${status} ${text.slice(0, 200)}`);
      return { status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
    }
    failures.push(`${method} ${pathName}: still 503 after 20 attempts`);
    return { status: 503, body: {} as Record<string, unknown> };
  };
  return { request, statuses, failures };
}
