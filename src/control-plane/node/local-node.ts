import { spawn } from 'node:child_process';
import { access, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { type ControlPlane, freePort, startControlPlane, writeKubeconfig } from '../control-plane.ts';
import { getRaw } from '../kube-http.ts';
import { issueClientCertificate } from '../pki.ts';
import { alive, runsDirectory, type Supervised, startSupervised } from '../processes.ts';
import { nodeNetwork as n } from './addresses.ts';
import { type ClusterDns, startClusterDns } from './cluster-dns.ts';
import { cniConfig, containerdConfig, kubeletConfig, kubeProxyConfig } from './configs.ts';
import { assertRangeUnused, cmd, ipForward, setUpNetwork } from './network.ts';
import { ensureNodeBinaries, ensureNodeImages, type NodeImages, teardownScript } from './node-assets.ts';

/**
 * A control plane with one node: containerd, kubelet, kube-scheduler and kube-proxy on this machine, pods on a bridge
 * of the run's own (docs/local-node.md). Requires root. Teardown, whichever way the owner ends, is
 * scripts/local-node-teardown.sh run on the state file: by `stop()`, by a janitor that waits for the owner to
 * disappear (Ctrl-C, a killed test runner), and by the next start for a node whose janitor died too.
 */
export interface LocalNode {
  cluster: ControlPlane;
  dir: string;
  images: NodeImages;
  /** The kubelet's cgroup root (under each v1 hierarchy), e.g. to read a Pod's memory figures. */
  cgroupRoot: string;
  /** `ctr` against the node's containerd in the Kubernetes namespace. */
  ctr(args: string[]): Promise<string>;
  stop(): Promise<void>;
}

const statePrefix = 'scim-operator-node-';
const cgroupSubsystems = [
  'blkio',
  'cpu',
  'cpuacct',
  'cpuset',
  'devices',
  'freezer',
  'memory',
  'pids',
  'systemd',
  'unified',
];

function teardown(stateFile: string): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn('bash', [teardownScript, stateFile], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('exit', () => resolve());
  });
}

/** Tears down nodes whose owner and janitor are both gone. */
async function reapStaleNodes(log: (line: string) => void): Promise<void> {
  for (const entry of await readdir(os.tmpdir())) {
    if (!entry.startsWith(statePrefix)) continue;
    const state = path.join(os.tmpdir(), entry, 'node.env');
    const text = await readFile(state, 'utf8').catch(() => '');
    const owner = Number(/^OWNER=(\d+)$/m.exec(text)?.[1]);
    if (!text || (Number.isInteger(owner) && alive(owner))) continue;
    log(`[local-node] tearing down a node left by process ${owner}: ${path.dirname(state)}`);
    await teardown(state);
    await rm(path.dirname(state), { recursive: true, force: true });
  }
}

async function makeCgroupRoot(root: string): Promise<void> {
  // The kubelet also makes the root in the cgroup v2 (`unified`) hierarchy itself; the teardown removes it there too.
  for (const sub of cgroupSubsystems.filter((s) => s !== 'unified')) {
    const dir = `/sys/fs/cgroup/${sub}${root}`;
    await mkdir(dir, { recursive: true });
    if (sub === 'cpuset') {
      for (const file of ['cpuset.cpus', 'cpuset.mems']) {
        await writeFile(path.join(dir, file), await readFile(path.join('/sys/fs/cgroup/cpuset', file), 'utf8'));
      }
    }
  }
}

async function waitFor(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function startLocalNode(
  options: { crdDir?: string; log?: (line: string) => void } = {},
): Promise<LocalNode> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  if (process.getuid?.() !== 0) throw new Error('the local node needs root (network, cgroups, mounts)');
  await reapStaleNodes(log);
  await assertRangeUnused();
  const binaries = await ensureNodeBinaries();
  const images = await ensureNodeImages(binaries.pause);

  const dir = await mkdtemp(path.join(os.tmpdir(), statePrefix));
  const runs = runsDirectory();
  const runDir = path.join(runs, String(process.pid));
  const stateFile = path.join(dir, 'node.env');
  const socket = path.join(dir, 'containerd', 'containerd.sock');
  const cgroupRoot = `/scim-operator-node-${process.pid}`;
  // Written before anything exists, so every later step is covered by the teardown.
  await writeFile(
    stateFile,
    [
      `OWNER=${process.pid}`,
      `DIR=${dir}`,
      `RUN_DIR=${runDir}`,
      `BRIDGE=${n.bridge}`,
      `GUARD_CHAIN="${n.guardChains.join(' ')}"`,
      `KUBELET_CHAINS="${n.kubeletChains.join(' ')}"`,
      `CGROUP_ROOT=${cgroupRoot}`,
      `CGROUP_SUBSYSTEMS="${cgroupSubsystems.join(' ')}"`,
      `CONTAINERD_SOCKET=${socket}`,
      `KUBE_PROXY=${binaries.kubeProxy}`,
      `OLD_IP_FORWARD=${await ipForward()}`,
      '',
    ].join('\n'),
  );
  const janitor = spawn(
    'bash',
    [
      '-c',
      `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; exec bash "$0" "$1"`,
      teardownScript,
      stateFile,
    ],
    { detached: true, stdio: 'ignore' },
  );
  janitor.unref();

  const processes: Supervised[] = [];
  let cluster: ControlPlane | undefined;
  let dns: ClusterDns | undefined;
  const ctr = (args: string[]) => cmd('ctr', ['--address', socket, '--namespace', 'k8s.io', ...args]);
  const stopAll = async (keepLogs = false) => {
    await dns?.stop();
    for (const p of processes.reverse()) await p.stop(5_000);
    await teardown(stateFile);
    await cluster?.stop();
    try {
      process.kill(-(janitor.pid ?? 0), 'SIGKILL');
    } catch {
      // already gone
    }
    if (!keepLogs) await rm(dir, { recursive: true, force: true });
  };
  try {
    await setUpNetwork();
    cluster = await startControlPlane({
      crdDir: options.crdDir,
      log,
      podNetwork: {
        address: n.address,
        serviceClusterIpRange: n.serviceCidr,
        serviceIp: n.kubernetesServiceIp,
        extraControllers: [
          'deployment-controller',
          'replicaset-controller',
          'endpoints-controller',
          'endpointslice-controller',
          'disruption-controller',
          'pod-garbage-collector-controller',
          'ttl-after-finished-controller',
          // The kube-root-ca.crt ConfigMap of every namespace, mounted with each service-account token.
          'root-ca-certificate-publisher-controller',
          // Removes the not-ready taint the kubelet registers with; without it nothing schedules.
          'node-lifecycle-controller',
        ],
      },
    });
    const ca = await readFile(cluster.pki.caCert, 'utf8');
    const kubeconfig = async (name: string, user: string) =>
      writeKubeconfig(
        path.join(dir, `${name}.kubeconfig`),
        cluster!.server,
        ca,
        user,
        // One test node: its components act as cluster administrators rather than through the Node authorizer.
        await issueClientCertificate(cluster!.pki, user, ['system:masters']),
      );
    const supervise = async (name: string, command: string, args: string[]) => {
      const p = await startSupervised(`node-${name}`, command, args, { logDir: dir, runs });
      processes.push(p);
      return p;
    };

    await mkdir(path.join(dir, 'cni', 'net.d'), { recursive: true });
    await writeFile(path.join(dir, 'cni', 'net.d', '10-scimop.conflist'), cniConfig(dir));
    await writeFile(path.join(dir, 'containerd.toml'), containerdConfig(dir, images.pause));
    const containerd = await supervise('containerd', 'containerd', ['--config', path.join(dir, 'containerd.toml')]);
    await waitFor('containerd', 30_000, async () => {
      if (containerd.child.exitCode !== null) throw new Error('containerd exited; see containerd.log');
      await access(socket);
      await ctr(['version']);
      return true;
    });
    for (const archive of images.archives) await ctr(['images', 'import', '--no-unpack=false', archive]);

    await makeCgroupRoot(cgroupRoot);
    await writeFile(path.join(dir, 'resolv.conf'), `nameserver ${n.address}\n`);
    await writeFile(
      path.join(dir, 'kubelet.yaml'),
      kubeletConfig({
        dir,
        containerdSocket: socket,
        clientCaFile: cluster.pki.caCert,
        cgroupRoot,
        port: await freePort(),
        healthzPort: await freePort(),
        resolvConf: path.join(dir, 'resolv.conf'),
      }),
    );
    await supervise('kubelet', binaries.kubelet, [
      `--config=${path.join(dir, 'kubelet.yaml')}`,
      `--kubeconfig=${await kubeconfig('kubelet', `system:node:${n.nodeName}`)}`,
      `--root-dir=${path.join(dir, 'kubelet')}`,
      `--hostname-override=${n.nodeName}`,
      `--node-ip=${n.address}`,
      '--v=1',
    ]);
    await supervise('kube-scheduler', binaries.kubeScheduler, [
      `--kubeconfig=${await kubeconfig('scheduler', 'system:kube-scheduler')}`,
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      `--secure-port=${await freePort()}`,
    ]);
    await writeFile(
      path.join(dir, 'kube-proxy.yaml'),
      kubeProxyConfig(await kubeconfig('kube-proxy', 'system:kube-proxy'), await freePort(), await freePort()),
    );
    await supervise('kube-proxy', binaries.kubeProxy, [`--config=${path.join(dir, 'kube-proxy.yaml')}`]);

    const kc = new KubeConfig();
    kc.loadFromFile(cluster.adminKubeconfig);
    dns = await startClusterDns(kc, n.address);
    await waitFor('node Ready and untainted', 120_000, async () => {
      const res = await getRaw(kc, `/api/v1/nodes/${n.nodeName}`);
      const node = JSON.parse(res.body) as {
        spec?: { taints?: unknown[] };
        status?: { conditions?: { type: string; status: string }[] };
      };
      const ready = node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
      return ready && (node.spec?.taints ?? []).length === 0;
    });
    log(`[local-node] node ${n.nodeName} Ready; state in ${dir}`);
    return { cluster, dir, images, cgroupRoot, ctr, stop: () => stopAll() };
  } catch (err) {
    log(`[local-node] start-up failed; logs are in ${dir}`);
    await stopAll(true).catch(() => {});
    throw err;
  }
}
