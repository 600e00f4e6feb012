import { KubeConfig } from '@kubernetes/client-node';
import { KubernetesScimStore } from '../../src/store/kubernetes-store.ts';
import { scimStoreContract } from '../contract/scim-store.contract.ts';
import { adminKubeConfig } from '../support/cluster.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';

/** Two store instances, each with its own informers, act as two replicas; `a` reaches the API server via a proxy. */
scimStoreContract(
  'Kubernetes store on a real API server',
  async () => {
    const admin = adminKubeConfig();
    const server = new URL(admin.getCurrentCluster()!.server);
    const proxy = await startTcpProxy(Number(server.port));
    const viaProxy = new KubeConfig();
    viaProxy.loadFromString(admin.exportConfig());
    const cluster = viaProxy.getCurrentCluster()!;
    viaProxy.clusters = viaProxy.clusters.map((c) =>
      c.name === cluster.name ? { ...c, server: `https://127.0.0.1:${proxy.port}` } : c,
    );
    const a = new KubernetesScimStore({ kc: viaProxy });
    const b = new KubernetesScimStore({ kc: admin });
    await Promise.all([a.start(), b.start()]);
    return {
      a,
      b,
      async cleanup() {
        await Promise.all([a.stop(), b.stop()]);
        await proxy.close();
      },
      async simulateOutage() {
        proxy.cut();
        return async () => proxy.restore();
      },
    };
  },
  { bigGroupSize: 2000 },
);
