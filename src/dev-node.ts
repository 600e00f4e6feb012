import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { startLocalNode } from './control-plane/node/local-node.ts';

const run = promisify(execFile);
const chartDir = fileURLToPath(new URL('../charts/scim-operator', import.meta.url));

export const devNodeHelp = `Usage: scim-operator node

Starts a local node (containerd, kubelet, kube-scheduler, kube-proxy beside a local control plane; needs root),
builds the image from the Dockerfile, installs the Helm chart with it and prints the SCIM URL, the token and a
kubeconfig. Ctrl-C removes everything (docs/local-node.md).
`;

export async function devNodeCommand(wantsHelp: boolean): Promise<number> {
  if (wantsHelp) {
    process.stdout.write(devNodeHelp);
    return 0;
  }
  const node = await startLocalNode();
  try {
    const { repository, tag } = node.images.operator;
    const helmHome = path.join(node.dir, 'helm');
    await run(
      node.cluster.binaries.helm,
      [
        ...['install', 'scim-operator', chartDir, '-n', 'scim-operator', '--create-namespace', '--wait'],
        ...[
          '--set',
          `image.repository=${repository}`,
          '--set-string',
          `image.tag=${tag}`,
          '--set',
          'image.pullPolicy=Never',
        ],
        ...[
          '--set',
          `tests.image.repository=${node.images.curl.repository}`,
          '--set-string',
          `tests.image.tag=${node.images.curl.tag}`,
        ],
        `--kubeconfig=${node.cluster.adminKubeconfig}`,
      ],
      { env: { ...process.env, HELM_CACHE_HOME: helmHome, HELM_CONFIG_HOME: helmHome, HELM_DATA_HOME: helmHome } },
    );
    const kc = new KubeConfig();
    kc.loadFromFile(node.cluster.adminKubeconfig);
    const core = kc.makeApiClient(CoreV1Api);
    const service = await core.readNamespacedService({ namespace: 'scim-operator', name: 'scim-operator' });
    const secret = await core.readNamespacedSecret({ namespace: 'scim-operator', name: 'scim-operator-tokens' });
    process.stdout.write(
      [
        `SCIM base URL  http://${service.spec?.clusterIP}/scim/v2  (the chart's Service, reachable from this machine)`,
        `token          ${Buffer.from(secret.data?.entra ?? '', 'base64').toString()}`,
        `kubeconfig     ${node.cluster.adminKubeconfig}`,
        `helm           ${node.cluster.binaries.helm}`,
        'Ctrl-C stops the node and removes everything it made.',
        '',
      ].join('\n'),
    );
    await new Promise<void>((resolve) => {
      for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => resolve());
    });
  } finally {
    await node.stop();
  }
  return 0;
}
