import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { ApiextensionsV1Api, type KubeConfig, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { loadAll } from 'js-yaml';
import { applyManifest, getRaw } from './kube-http.ts';

export async function readCrds(dir: string): Promise<V1CustomResourceDefinition[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml')).sort();
  const crds: V1CustomResourceDefinition[] = [];
  for (const file of files) {
    for (const doc of loadAll(await readFile(path.join(dir, file), 'utf8'))) {
      if (doc && (doc as { kind?: string }).kind === 'CustomResourceDefinition')
        crds.push(doc as V1CustomResourceDefinition);
    }
  }
  return crds;
}

/**
 * Applies each CRD (server-side apply: create or update), then waits until it is Established and its resources are served by discovery:
 * Established alone does not mean that clients can use the resource yet.
 */
export async function installCrds(kc: KubeConfig, dir: string, timeoutMs = 30_000): Promise<string[]> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const crds = await readCrds(dir);
  for (const crd of crds) {
    await applyManifest(kc, `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata?.name}`, crd);
  }
  const deadline = Date.now() + timeoutMs;
  for (const crd of crds) {
    const name = crd.metadata?.name ?? '';
    for (;;) {
      const current = await api.readCustomResourceDefinition({ name });
      const established = current.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
      if (established && (await servedByDiscovery(kc, crd))) break;
      if (Date.now() > deadline) throw new Error(`CRD ${name} was not established and served within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return crds.map((c) => c.metadata?.name ?? '');
}

async function servedByDiscovery(kc: KubeConfig, crd: V1CustomResourceDefinition): Promise<boolean> {
  const { group, names, versions } = crd.spec;
  for (const version of versions.filter((v) => v.served)) {
    const res = await getRaw(kc, `/apis/${group}/${version.name}`);
    if (res.status !== 200) return false;
    const list = JSON.parse(res.body) as { resources?: { name: string }[] };
    if (!list.resources?.some((r) => r.name === names.plural)) return false;
  }
  return true;
}
