import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

/**
 * A raw request to the API server with the kubeconfig's credentials. For discovery, readiness probes and applying
 * manifests: client-node's typed serializers drop fields they do not model under their JSON names (a CRD schema's
 * `default` and `x-kubernetes-validations`, for example), so manifests are sent as they are.
 */
export async function requestRaw(
  kc: KubeConfig,
  method: string,
  apiPath: string,
  body?: string,
  contentType = 'application/json',
): Promise<{ status: number; body: string }> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const opts: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${cluster.server}${apiPath}`,
      {
        ...opts,
        method,
        timeout: 10_000,
        headers: { ...opts.headers, ...(body === undefined ? {} : { 'content-type': contentType }) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${apiPath} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

export function getRaw(kc: KubeConfig, apiPath: string) {
  return requestRaw(kc, 'GET', apiPath);
}

/** Server-side apply of one manifest (create or update), forcing ownership of the fields it sets. */
export async function applyManifest(
  kc: KubeConfig,
  apiPath: string,
  manifest: unknown,
  fieldManager = 'scim-operator-installer',
): Promise<void> {
  const res = await requestRaw(
    kc,
    'PATCH',
    `${apiPath}?fieldManager=${encodeURIComponent(fieldManager)}&force=true`,
    JSON.stringify(manifest),
    'application/apply-patch+yaml',
  );
  if (res.status >= 300) throw new Error(`applying ${apiPath} failed with ${res.status}: ${res.body}`);
}
