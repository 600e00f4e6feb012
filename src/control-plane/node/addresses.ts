/**
 * The local node's addresses. Everything lives on one bridge the run creates and in the pods' network namespaces;
 * 10.213.0.0/16 is a private range that this machine's interfaces and routes do not use (checked at start by
 * `assertRangeUnused`), and nothing routes it anywhere but the bridge.
 */
export const nodeNetwork = {
  bridge: 'scimop0',
  /** The bridge's own address: gateway of the pods, the API server, the kubelet and the cluster DNS listen here. */
  address: '10.213.0.1',
  podCidr: '10.213.0.0/24',
  firstPodAddress: '10.213.0.10',
  serviceCidr: '10.213.1.0/24',
  /** The `kubernetes` Service's cluster IP: the first address of the service range. */
  kubernetesServiceIp: '10.213.1.1',
  /** The whole range of the run, for the guard rules. */
  range: '10.213.0.0/16',
  nodeName: 'scim-operator-node',
  /** Our iptables chains (mangle): FORWARD (what crosses the bridge) and POSTROUTING (what leaves any interface). */
  guardChains: ['SCIMOP-FORWARD', 'SCIMOP-POSTROUTING'],
  /** The chains the kubelet creates (kube-proxy removes its own with --cleanup). */
  kubeletChains: ['KUBE-FIREWALL', 'KUBE-KUBELET-CANARY', 'KUBE-IPTABLES-HINT', 'KUBE-PROXY-CANARY'],
} as const;

/** True when `ip -4 -o addr` / `ip -4 route` output mentions an address of 10.213.0.0/16. */
export function rangeInUse(ipOutput: string): boolean {
  return /(^|[\s/])10\.213\.\d+\.\d+/m.test(ipOutput);
}
