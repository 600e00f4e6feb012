import { dump } from 'js-yaml';
import { nodeNetwork as n } from './addresses.ts';

/** The files that configure the node's processes, as text: pure, so tests can read the containment settings. */

export function containerdConfig(dir: string, pauseImage: string): string {
  return `version = 2
root = "${dir}/containerd/root"
state = "${dir}/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "${dir}/containerd/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${pauseImage}"
  # Root here lacks CAP_SYS_RESOURCE: without this every sandbox fails with "can't get final child's PID from pipe".
  restrict_oom_score_adj = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${dir}/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      # runc's state under the run's folder, not /run/containerd/runc, so a killed run leaves nothing outside it.
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        Root = "${dir}/containerd/runc"
`;
}

/**
 * The pods' network: one bridge, no masquerade (`ipMasq: false`), addresses from the run's private range. The
 * default route points at the bridge's address, where the guard chain keeps anything from leaving the machine.
 */
export function cniConfig(dir: string): string {
  return JSON.stringify(
    {
      cniVersion: '0.4.0',
      name: 'scimop',
      plugins: [
        {
          type: 'bridge',
          bridge: n.bridge,
          isGateway: true,
          ipMasq: false,
          hairpinMode: true,
          ipam: {
            type: 'host-local',
            dataDir: `${dir}/cni/ipam`,
            ranges: [[{ subnet: n.podCidr, rangeStart: n.firstPodAddress, gateway: n.address }]],
            routes: [{ dst: '0.0.0.0/0' }],
          },
        },
      ],
    },
    null,
    2,
  );
}

export interface KubeletPaths {
  dir: string;
  containerdSocket: string;
  clientCaFile: string;
  cgroupRoot: string;
  port: number;
  healthzPort: number;
  resolvConf: string;
}

export function kubeletConfig(p: KubeletPaths): string {
  return dump({
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    // The machine has cgroup v1 (hybrid); 1.37 refuses it unless told otherwise.
    failCgroupV1: false,
    cgroupDriver: 'cgroupfs',
    cgroupRoot: p.cgroupRoot,
    failSwapOn: false,
    containerRuntimeEndpoint: `unix://${p.containerdSocket}`,
    address: n.address,
    port: p.port,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort: p.healthzPort,
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: false },
      x509: { clientCAFile: p.clientCaFile },
    },
    authorization: { mode: 'AlwaysAllow' },
    clusterDNS: [n.address],
    clusterDomain: 'cluster.local',
    // Host-network pods would otherwise get the machine's resolvers.
    resolvConf: p.resolvConf,
    // Images are imported, never pulled: garbage collection must not remove them, and a nearly full disk must not
    // evict the operator.
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '1%', 'imagefs.available': '1%' },
    maxPods: 30,
    serializeImagePulls: false,
    staticPodPath: '',
    protectKernelDefaults: false,
  });
}

/**
 * kube-proxy in iptables mode. Its masquerade rule matches only packets it marked on their way to a Service, whose
 * endpoints are pod addresses on the bridge; `masqueradeAll: false` and `clusterCIDR` keep pod-to-Service traffic
 * unmasqueraded; NodePorts answer only on the bridge address; conntrack settings are left to the kernel (0).
 */
export function kubeProxyConfig(kubeconfig: string, healthzPort: number, metricsPort: number): string {
  return dump({
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    clientConnection: { kubeconfig },
    mode: 'iptables',
    clusterCIDR: n.podCidr,
    hostnameOverride: n.nodeName,
    bindAddress: n.address,
    healthzBindAddress: `127.0.0.1:${healthzPort}`,
    metricsBindAddress: `127.0.0.1:${metricsPort}`,
    nodePortAddresses: [`${n.address}/32`],
    iptables: { masqueradeAll: false, masqueradeBit: 14, syncPeriod: '10s', minSyncPeriod: '0s' },
    conntrack: {
      maxPerCore: 0,
      min: 0,
      tcpEstablishedTimeout: '0s',
      tcpCloseWaitTimeout: '0s',
    },
  });
}
