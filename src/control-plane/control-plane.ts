import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { dump } from 'js-yaml';
import { type ControlPlaneBinaries, ensureBinaries } from './binaries.ts';
import { type Component, httpsOk, startComponent, waitFor } from './component.ts';
import { installCrds } from './crd-installer.ts';
import { getRaw } from './kube-http.ts';
import { createPki, issueClientCertificate, type Pki } from './pki.ts';
import { reapStaleRuns, removeRunRecord, runsDirectory } from './processes.ts';

/**
 * A real etcd + kube-apiserver on loopback ports with RBAC authorization, for integration tests and
 * `scim-operator dev`. Everything lives in one temporary folder, removed by `stop()`.
 */
export interface ControlPlane {
  dir: string;
  server: string;
  binaries: ControlPlaneBinaries;
  pki: Pki;
  /** Path of a kubeconfig for `admin` in `system:masters`. */
  adminKubeconfig: string;
  startupSeconds: number;
  /** The processes, for suites that pause, restart or crash them; ports and data dir survive a restart. */
  components: {
    etcd: Component;
    kubeApiserver: Component;
    kubeControllerManager: Component;
  };
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Folder of CRD manifests to install and wait for; skipped when absent. */
  crdDir?: string;
  /** Where to keep state; a new temporary folder by default. */
  dir?: string;
  log?: (line: string) => void;
  /** Set by the local node (src/control-plane/node/): see `PodNetwork`. */
  podNetwork?: PodNetwork;
  /** etcd's `--quota-backend-bytes`; etcd's default (2 GiB) when absent. */
  etcdQuotaBytes?: number;
}

/**
 * What a control plane needs to serve pods: the API server listens on `address` (on the node's bridge, reachable from
 * pods) instead of loopback, Services take `serviceClusterIpRange`, the `kubernetes` Service gets an endpoint,
 * pods get service-account tokens, and the controller manager also runs `extraControllers`.
 */
export interface PodNetwork {
  address: string;
  serviceClusterIpRange: string;
  /** The `kubernetes` Service's cluster IP (the first of the range), a SAN of the serving certificate. */
  serviceIp: string;
  extraControllers: string[];
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Writes a kubeconfig for a client certificate and returns its path. */
export async function writeKubeconfig(
  file: string,
  server: string,
  caPem: string,
  user: string,
  cert: { certPem: string; keyPem: string },
): Promise<string> {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'local', cluster: { server, 'certificate-authority-data': b64(caPem) } }],
    users: [
      { name: user, user: { 'client-certificate-data': b64(cert.certPem), 'client-key-data': b64(cert.keyPem) } },
    ],
    contexts: [{ name: user, context: { cluster: 'local', user } }],
    'current-context': user,
  };
  await writeFile(file, dump(config), { mode: 0o600 });
  return file;
}

export async function startControlPlane(options: StartOptions = {}): Promise<ControlPlane> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const started = Date.now();
  const binaries = await ensureBinaries();
  const runs = runsDirectory();
  const reaped = await reapStaleRuns(runs);
  if (reaped > 0) log(`[control-plane] stopped ${reaped} process group(s) left by an earlier run`);

  const dir = options.dir ?? (await mkdtemp(path.join(os.tmpdir(), 'scim-operator-cp-')));
  await mkdir(dir, { recursive: true });
  const t0 = Date.now();
  const net = options.podNetwork;
  const host = net?.address ?? '127.0.0.1';
  const pki = await createPki(dir, net ? [net.address, net.serviceIp] : []);
  const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const processes: Component[] = [];
  const stopAll = async () => {
    for (const p of processes.reverse()) await p.stop();
    await removeRunRecord(runs);
  };
  try {
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const etcd = await startComponent(
      {
        name: 'etcd',
        command: binaries.etcd,
        args: [
          `--data-dir=${path.join(dir, 'etcd')}`,
          `--listen-client-urls=${etcdUrl}`,
          `--advertise-client-urls=${etcdUrl}`,
          `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
          '--unsafe-no-fsync=true',
          '--log-level=warn',
          ...(options.etcdQuotaBytes ? [`--quota-backend-bytes=${options.etcdQuotaBytes}`] : []),
        ],
        ready: async () => (await fetch(`${etcdUrl}/health`)).ok,
        readyTimeoutMs: 30_000,
      },
      { logDir: dir, runs },
    );
    processes.push(etcd);
    const ca = await readFile(pki.caCert, 'utf8');

    const server = `https://${host}:${apiPort}`;
    // With a node, the API server proxies `kubectl logs`/`exec` and `helm test --logs` to the kubelet, which accepts
    // only client certificates of our CA (src/control-plane/node/configs.ts).
    const kubeletClient = net ? await kubeletClientFlags(pki, dir) : [];
    const apiserver = await startComponent(
      {
        name: 'kube-apiserver',
        command: binaries.kubeApiserver,
        args: [
          `--etcd-servers=${etcdUrl}`,
          `--bind-address=${host}`,
          `--advertise-address=${host}`,
          `--secure-port=${apiPort}`,
          `--tls-cert-file=${pki.servingCert}`,
          `--tls-private-key-file=${pki.servingKey}`,
          `--client-ca-file=${pki.caCert}`,
          '--authorization-mode=RBAC',
          `--service-account-issuer=${server}/`,
          `--service-account-key-file=${pki.serviceAccountPublicKey}`,
          `--service-account-signing-key-file=${pki.serviceAccountKey}`,
          `--service-cluster-ip-range=${net?.serviceClusterIpRange ?? '10.0.0.0/24'}`,
          '--allow-privileged=true',
          // 1.37 refuses a loopback advertise address for the kubernetes Service endpoints; without a node there is
          // no Service network and no pod, so nothing needs them nor service-account tokens.
          ...(net
            ? ['--kubelet-preferred-address-types=InternalIP', ...kubeletClient]
            : ['--disable-admission-plugins=ServiceAccount', '--endpoint-reconciler-type=none']),
          '--v=0',
        ],
        ready: () => httpsOk(`${server}/readyz`, ca),
        readyTimeoutMs: 90_000,
      },
      { logDir: dir, runs },
    );
    processes.push(apiserver);

    const admin = await issueClientCertificate(pki, 'admin', ['system:masters']);
    const adminKubeconfig = await writeKubeconfig(path.join(dir, 'admin.kubeconfig'), server, ca, 'admin', admin);
    const kc = new KubeConfig();
    kc.loadFromFile(adminKubeconfig);
    await waitFor(
      'namespace default',
      30_000,
      async () => (await getRaw(kc, '/api/v1/namespaces/default')).status === 200,
    );
    // Without the controller manager, view/edit/admin have no rules (aggregation) and nothing is garbage-collected.
    const managerKubeconfig = await writeKubeconfig(
      path.join(dir, 'controller-manager.kubeconfig'),
      server,
      ca,
      'system:kube-controller-manager',
      // In system:masters because with one identity for all controllers, the garbage collector must reach every kind.
      await issueClientCertificate(pki, 'system:kube-controller-manager', ['system:masters']),
    );
    const controllerManager = await startComponent(
      {
        name: 'kube-controller-manager',
        command: binaries.kubeControllerManager,
        args: [
          `--kubeconfig=${managerKubeconfig}`,
          `--authentication-kubeconfig=${managerKubeconfig}`,
          `--authorization-kubeconfig=${managerKubeconfig}`,
          '--leader-elect=false',
          '--bind-address=127.0.0.1',
          `--secure-port=${await freePort()}`,
          `--cert-dir=${path.join(dir, 'controller-manager')}`,
          `--controllers=${['clusterrole-aggregation-controller,garbage-collector-controller,namespace-controller,serviceaccount-controller,serviceaccount-token-controller', ...(net?.extraControllers ?? [])].join(',')}`,
          `--service-account-private-key-file=${pki.serviceAccountKey}`,
          `--root-ca-file=${pki.caCert}`,
          '--use-service-account-credentials=false',
        ],
      },
      { logDir: dir, runs },
    );
    processes.push(controllerManager);
    await waitFor('ClusterRole aggregation', 60_000, async () => {
      const res = await getRaw(kc, '/apis/rbac.authorization.k8s.io/v1/clusterroles/view');
      return res.status === 200 && Array.isArray((JSON.parse(res.body) as { rules?: unknown[] }).rules);
    });
    if (options.crdDir) await installCrds(kc, options.crdDir);

    const startupSeconds = (Date.now() - t0) / 1000;
    log(
      `[control-plane] ready at ${server} in ${startupSeconds.toFixed(1)} s (binaries ready after ${((t0 - started) / 1000).toFixed(1)} s); state in ${dir}`,
    );
    return {
      dir,
      server,
      binaries,
      pki,
      adminKubeconfig,
      startupSeconds,
      components: { etcd, kubeApiserver: apiserver, kubeControllerManager: controllerManager },
      async stop() {
        await stopAll();
        if (!options.dir) await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    log(`[control-plane] start-up failed; logs are in ${dir}`);
    await stopAll();
    throw err;
  }
}

/** The API server's identity towards kubelets: a client certificate of the run's CA, written beside the PKI. */
async function kubeletClientFlags(pki: Pki, dir: string): Promise<string[]> {
  const { certPem, keyPem } = await issueClientCertificate(pki, 'kube-apiserver-kubelet-client', ['system:masters']);
  const cert = path.join(dir, 'kubelet-client.crt');
  const key = path.join(dir, 'kubelet-client.key');
  await writeFile(cert, certPem, { mode: 0o600 });
  await writeFile(key, keyPem, { mode: 0o600 });
  return [`--kubelet-client-certificate=${cert}`, `--kubelet-client-key=${key}`];
}
