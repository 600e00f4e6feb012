/**
 * A control plane of the benchmark's own, and the parts of test/support a benchmark needs, without vitest: admin
 * access, client certificates for other users, namespaces, and a non-admin operator identity with the Helm chart's
 * RBAC (as test/support/operator.ts prepares it).
 */

import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AuthorizationV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { type ControlPlane, startControlPlane, writeKubeconfig } from '../../src/control-plane/control-plane.ts';
import { issueClientCertificate } from '../../src/control-plane/pki.ts';
import { parseSettings, type Settings } from '../../src/settings.ts';
import { grantOperatorIdentity } from '../../test/support/our-objects.ts';

export interface BenchCluster {
  plane: ControlPlane;
  admin: KubeConfig;
  kubeConfigFor(user: string, groups?: string[]): Promise<{ kc: KubeConfig; file: string }>;
  createNamespace(name?: string): Promise<string>;
  /** Whether `user` may `verb` `resource` in `namespace`, asked through a SubjectAccessReview. */
  subjectCan(user: string, verb: string, resource: string, namespace: string): Promise<boolean>;
  stop(): Promise<void>;
  /** etcd's space quota in GiB; undefined for etcd's default (2 GiB). */
  etcdQuotaGiB: number | undefined;
}

export const uniqueName = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

/**
 * A fresh control plane for one benchmark. `etcdQuotaGiB` is etcd's space quota (etcd's default, 2 GiB, when unset);
 * BENCH_ETCD_QUOTA_GIB overrides it.
 */
export async function startBenchCluster(options: { etcdQuotaGiB?: number } = {}): Promise<BenchCluster> {
  const quotaGiB = Number(process.env.BENCH_ETCD_QUOTA_GIB ?? options.etcdQuotaGiB ?? 0);
  const plane = await startControlPlane({
    crdDir: fileURLToPath(new URL('../../crds', import.meta.url)),
    etcdQuotaBytes: quotaGiB > 0 ? Math.round(quotaGiB * 1024 ** 3) : undefined,
  });
  const admin = new KubeConfig();
  admin.loadFromFile(plane.adminKubeconfig);
  const ca = await readFile(plane.pki.caCert, 'utf8');
  const authorization = admin.makeApiClient(AuthorizationV1Api);
  return {
    plane,
    admin,
    etcdQuotaGiB: quotaGiB > 0 ? quotaGiB : undefined,
    async kubeConfigFor(user, groups = []) {
      const cert = await issueClientCertificate(plane.pki, user, groups);
      const file = path.join(
        plane.dir,
        `${user.replace(/[^a-zA-Z0-9-]/g, '_')}-${randomBytes(3).toString('hex')}.kubeconfig`,
      );
      await writeKubeconfig(file, plane.server, ca, user, cert);
      const kc = new KubeConfig();
      kc.loadFromFile(file);
      return { kc, file };
    },
    async createNamespace(name = uniqueName('ns')) {
      await admin.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name } } });
      return name;
    },
    async subjectCan(user, verb, resource, namespace) {
      const review = await authorization.createSubjectAccessReview({
        body: { spec: { user, groups: [], resourceAttributes: { verb, resource, namespace } } },
      });
      return review.status?.allowed === true;
    },
    stop: () => plane.stop(),
  };
}

export interface OperatorIdentity {
  namespace: string;
  user: string;
  kc: KubeConfig;
  kubeconfig: string;
  connection: string;
  token: string;
  settings: Settings;
}

/**
 * A namespace with a token Secret, and a Kubernetes user bound to exactly the ClusterRole and Role the chart ships:
 * what an operator replica runs as, so benchmarks pay the same RBAC checks as production.
 */
export async function prepareOperatorIdentity(cluster: BenchCluster, settingsYaml = ''): Promise<OperatorIdentity> {
  const namespace = await cluster.createNamespace(uniqueName('operator'));
  const user = `scim-operator-${namespace}`;
  const settings = parseSettings(settingsYaml);
  const connection = uniqueName('conn');
  const token = randomBytes(24).toString('base64url');
  await grantOperatorIdentity(cluster.admin, { namespace, user, connection, token, settings });
  const { kc, file } = await cluster.kubeConfigFor(user);
  return { namespace, user, kc, kubeconfig: file, connection, token, settings };
}
