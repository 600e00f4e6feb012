import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { crds } from './api/crds.ts';
import { parseFlags } from './config.ts';
import { startControlPlane } from './control-plane/control-plane.ts';
import { startOperator } from './main.ts';
import { parseSettings } from './settings.ts';

export const devHelp = `Usage: scim-operator dev [flags]

Starts a local Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager; built from source on the
first run, which needs Go and takes several minutes), installs the CRDs, creates a token Secret with a generated
token, runs the operator, and prints the SCIM URL, the token and how to try it. Stops everything on Ctrl-C.

Flags:
  --state-dir <dir>   where to keep the control plane's state and dev.json (default: a new temporary folder)
  --port <port>       SCIM port (default 8080; 0 picks a free one)
  --log-level <level> operator log level (default warn, so the instructions stay readable)
`;

export async function devCommand(argv: string[]): Promise<number> {
  const values = parseFlags(argv, {
    'state-dir': { type: 'string' },
    port: { type: 'string' },
    'log-level': { type: 'string' },
  }) as { 'state-dir'?: string; port?: string; 'log-level'?: string };
  const stateDir = values['state-dir'] ?? (await mkdtemp(path.join(os.tmpdir(), 'scim-operator-dev-')));
  await mkdir(stateDir, { recursive: true });
  const say = (line: string) => process.stdout.write(`${line}\n`);
  say(`scim-operator dev: state in ${stateDir}`);

  const plane = await startControlPlane({
    dir: path.join(stateDir, 'control-plane'),
    crdDir: fileURLToPath(new URL('../crds', import.meta.url)),
  });
  let operator: Awaited<ReturnType<typeof startOperator>> | undefined;
  try {
    const kc = new KubeConfig();
    kc.loadFromFile(plane.adminKubeconfig);
    const core = kc.makeApiClient(CoreV1Api);
    const namespace = 'scim-operator';
    await core.createNamespace({ body: { metadata: { name: namespace } } }).catch(() => {});
    // A state folder used before keeps its token, so the IdP or script configured with it keeps working.
    const existing = await core.readNamespacedSecret({ namespace, name: 'scim-tokens' }).catch(() => undefined);
    const kept = existing?.data?.dev ? Buffer.from(existing.data.dev, 'base64').toString('utf8') : undefined;
    const token = kept ?? randomBytes(32).toString('base64url');
    if (!kept) {
      await core.createNamespacedSecret({
        namespace,
        body: { metadata: { name: 'scim-tokens' }, stringData: { dev: token } },
      });
    }

    await untilCustomResourcesServe(kc);
    operator = await startOperator(
      {
        kubeconfig: plane.adminKubeconfig,
        scimAddress: { host: '127.0.0.1', port: Number(values.port ?? 8080) },
        metricsAddress: { host: '127.0.0.1', port: 0 },
        tokenSecret: { namespace, name: 'scim-tokens' },
        logLevel: (values['log-level'] ?? 'warn') as 'warn',
        requestTimeoutMs: 30_000,
      },
      // Local DownstreamApps (docs/downstream-apps.md's worked example) listen on loopback, which is refused otherwise.
      { settings: parseSettings('downstream: { allowedAddresses: [127.0.0.0/8, "::1"] }', 'dev settings') },
    );
    const info = {
      scimUrl: operator.scimUrl,
      token,
      kubeconfig: plane.adminKubeconfig,
      metricsUrl: operator.metricsUrl,
    };
    await writeFile(path.join(stateDir, 'dev.json'), `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
    const kubectl = `KUBECONFIG=${plane.adminKubeconfig} ${plane.binaries.kubectl}`;
    say(`
The operator is running.

  SCIM base URL:  ${info.scimUrl}
  Bearer token:   ${token}
  Metrics:        ${info.metricsUrl}
  Kubeconfig:     ${plane.adminKubeconfig}
  (also written to ${path.join(stateDir, 'dev.json')})

Create a user:

  curl -sS -X POST '${info.scimUrl}/Users' \\
    -H 'Authorization: Bearer ${token}' -H 'Content-Type: application/scim+json' \\
    -d '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada@example.com","active":true}'

See it in Kubernetes:

  ${kubectl} get scimusers

Press Ctrl-C to stop everything.
`);
    await new Promise<void>((resolve) => {
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
    });
    say('stopping...');
    return 0;
  } finally {
    await operator?.stop();
    await plane.stop();
  }
}

/**
 * Right after its CRDs are created, the API server answers 429 "storage is (re)initializing" to lists of them for a
 * moment; waiting here keeps those retries out of the first lines a new user reads. Gives up quietly after 30 s: the
 * operator's informers retry on their own.
 */
async function untilCustomResourcesServe(kc: KubeConfig): Promise<void> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const deadline = Date.now() + 30_000;
  for (const crd of Object.values(crds)) {
    const { group, names } = crd.spec;
    const version = crd.spec.versions.find((v) => v.storage)?.name ?? crd.spec.versions[0]?.name ?? 'v1';
    while (Date.now() < deadline) {
      const status = await api.listClusterCustomObject({ group, version, plural: names.plural, limit: 1 }).then(
        () => 200,
        (err: { code?: number }) => err.code ?? 0,
      );
      if (status !== 429) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
