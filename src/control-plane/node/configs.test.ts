import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { nodeNetwork } from './addresses.ts';
import { cniConfig, containerdConfig, kubeletConfig, kubeProxyConfig } from './configs.ts';
import { guardRules } from './network.ts';

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML, read freely by the assertions
type Yaml = Record<string, any>;

describe('the local node configuration', () => {
  it('gives pods the bridge network without masquerade, from the run range', () => {
    const cni = JSON.parse(cniConfig('/tmp/x'));
    expect(cni.plugins).toHaveLength(1);
    const [bridge] = cni.plugins;
    expect(bridge).toMatchObject({ type: 'bridge', bridge: nodeNetwork.bridge, ipMasq: false });
    expect(bridge.ipam.ranges[0][0].subnet).toBe(nodeNetwork.podCidr);
    expect(bridge.ipam.dataDir).toBe('/tmp/x/cni/ipam');
  });

  it('keeps kube-proxy from masquerading everything and NodePorts off every interface but the bridge', () => {
    const proxy = load(kubeProxyConfig('/k', 1, 2)) as Yaml;
    expect(proxy.iptables.masqueradeAll).toBe(false);
    expect(proxy.clusterCIDR).toBe(nodeNetwork.podCidr);
    expect(proxy.nodePortAddresses).toEqual([`${nodeNetwork.address}/32`]);
    expect(proxy.conntrack.maxPerCore).toBe(0);
  });

  it('points pods at the cluster DNS on the bridge and never garbage-collects the imported images', () => {
    const kubelet = load(
      kubeletConfig({
        dir: '/d',
        containerdSocket: '/d/c.sock',
        clientCaFile: '/d/ca.crt',
        cgroupRoot: '/scim-operator-node-1',
        port: 1,
        healthzPort: 2,
        resolvConf: '/d/resolv.conf',
      }),
    ) as Yaml;
    expect(kubelet.clusterDNS).toEqual([nodeNetwork.address]);
    expect(kubelet.imageGCHighThresholdPercent).toBe(100);
    expect(kubelet).toMatchObject({
      failCgroupV1: false,
      cgroupDriver: 'cgroupfs',
      cgroupRoot: '/scim-operator-node-1',
    });
    expect(kubelet.address).toBe(nodeNetwork.address);
  });

  it('keeps all of containerd under the run folder, with the sandbox image and restricted oom_score_adj', () => {
    const toml = containerdConfig('/run-dir', 'localhost/p:1');
    for (const line of toml.split('\n').filter((l) => /^(root|state|\s+address) =/.test(l))) {
      expect(line).toContain('"/run-dir/containerd/');
    }
    expect(toml).toContain('sandbox_image = "localhost/p:1"');
    expect(toml).toContain('restrict_oom_score_adj = true');
  });

  it('drops whatever would cross the bridge or leave the machine from the run range, ahead of kube-proxy', () => {
    const [forward, postrouting] = guardRules();
    // mangle runs before filter (KUBE-FORWARD accepts marked packets) and nat (KUBE-POSTROUTING masquerades).
    expect(forward?.table).toBe('mangle');
    expect(forward?.hook).toBe('FORWARD');
    expect(forward?.rules).toContainEqual(['-i', nodeNetwork.bridge, '!', '-o', nodeNetwork.bridge, '-j', 'DROP']);
    expect(forward?.rules).toContainEqual(['-o', nodeNetwork.bridge, '!', '-i', nodeNetwork.bridge, '-j', 'DROP']);
    expect(postrouting?.table).toBe('mangle');
    expect(postrouting?.hook).toBe('POSTROUTING');
    expect(postrouting?.rules.slice(0, 2)).toEqual([
      ['-o', 'lo', '-j', 'RETURN'],
      ['-o', nodeNetwork.bridge, '-j', 'RETURN'],
    ]);
    expect(postrouting?.rules.slice(2).every((r) => r.at(-1) === 'DROP')).toBe(true);
    expect(postrouting?.rules).toContainEqual(['-s', nodeNetwork.range, '-j', 'DROP']);
  });
});
