import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { type ControlPlane, startControlPlane, writeKubeconfig } from '../../src/control-plane/control-plane.ts';
import { issueClientCertificate } from '../../src/control-plane/pki.ts';
import { parseSettings } from '../../src/settings.ts';
import { createOurs, grantOperatorIdentity } from '../support/our-objects.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';

/**
 * The chaos run's own control plane (it is paused and restarted, so it cannot be the integration suites' shared
 * one), the operator's identity with exactly the chart's RBAC, one TCP proxy per replica in front of the API
 * server, and an AccessMapping granting `edit` in one namespace to one SCIM group.
 */
export interface ChaosCluster {
  plane: ControlPlane;
  admin: KubeConfig;
  operatorNamespace: string;
  tokenSecret: { namespace: string; name: string };
  connection: string;
  token: string;
  /** One per replica; each replica's kubeconfig points at its proxy. */
  proxies: TcpProxy[];
  kubeconfigs: string[];
  configFile: string;
  appNamespace: string;
  groupName: string;
  mappingName: string;
  deleteTokenSecret(): Promise<void>;
  createTokenSecret(): Promise<void>;
  /** Stops everything; the state folder (logs of every process) is kept when `keepLogs`. */
  stop(keepLogs: boolean): Promise<void>;
}

export async function startChaosCluster(options: { replicas: number; seed: number }): Promise<ChaosCluster> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `scim-operator-chaos-${options.seed}-`));
  const plane = await startControlPlane({
    dir,
    crdDir: path.resolve(import.meta.dirname, '../../crds'),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  const proxies: TcpProxy[] = [];
  try {
    const admin = new KubeConfig();
    admin.loadFromFile(plane.adminKubeconfig);
    const core = admin.makeApiClient(CoreV1Api);
    const operatorNamespace = 'scim-operator';
    const appNamespace = 'team-apps';
    for (const name of [operatorNamespace, appNamespace]) await core.createNamespace({ body: { metadata: { name } } });

    const user = 'scim-operator-chaos';
    const connection = 'entra';
    // As an installation declares it: the connection is reconciled (and revoked) whether or not its token exists.
    const settingsYaml = `connections: [${connection}]\nleaderElection: { namespace: ${operatorNamespace} }\n`;
    const token = randomBytes(24).toString('base64url');
    const tokenSecret = { namespace: operatorNamespace, name: 'scim-tokens' };
    await grantOperatorIdentity(admin, {
      namespace: operatorNamespace,
      user,
      connection,
      token,
      settings: parseSettings(settingsYaml),
    });

    const apiPort = Number(new URL(plane.server).port);
    const ca = await readFile(plane.pki.caCert, 'utf8');
    const cert = await issueClientCertificate(plane.pki, user, []);
    const kubeconfigs: string[] = [];
    for (let i = 0; i < options.replicas; i++) {
      const proxy = await startTcpProxy(apiPort);
      proxies.push(proxy);
      const file = path.join(plane.dir, `replica-${i}.kubeconfig`);
      kubeconfigs.push(await writeKubeconfig(file, `https://127.0.0.1:${proxy.port}`, ca, user, cert));
    }
    const configFile = path.join(plane.dir, 'operator-settings.yaml');
    await writeFile(configFile, settingsYaml);

    const groupName = `chaos-team-${options.seed}`;
    const mappingName = 'chaos-edit';
    await createOurs(admin, 'AccessMapping', mappingName, {
      connection,
      subjects: { groups: [{ displayName: groupName }] },
      roleBindings: [{ clusterRole: 'edit', namespaces: [appNamespace] }],
    });

    return {
      plane,
      admin,
      operatorNamespace,
      tokenSecret,
      connection,
      token,
      proxies,
      kubeconfigs,
      configFile,
      appNamespace,
      groupName,
      mappingName,
      async deleteTokenSecret() {
        await core.deleteNamespacedSecret(tokenSecret);
      },
      async createTokenSecret() {
        await core.createNamespacedSecret({
          namespace: tokenSecret.namespace,
          body: { metadata: { name: tokenSecret.name }, stringData: { [connection]: token } },
        });
      },
      async stop(keepLogs) {
        for (const p of proxies) await p.close();
        await plane.stop();
        if (!keepLogs) await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    for (const p of proxies) await p.close();
    await plane.stop();
    process.stderr.write(`[chaos] set-up failed; logs are in ${dir}\n`);
    throw err;
  }
}
