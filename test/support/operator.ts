import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { type RunningOperator, startOperator } from '../../src/main.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { parseSettings, type Settings } from '../../src/settings.ts';
import { adminKubeConfig, controlPlane, createNamespace, kubeConfigFor, uniqueName } from './cluster.ts';
import { grantOperatorIdentity } from './our-objects.ts';

export interface TestOperator {
  operator: RunningOperator;
  namespace: string;
  /** The Kubernetes user the operator runs as: it holds only the operator's ClusterRole and Role. */
  user: string;
  token: string;
  connection: string;
  admin: KubeConfig;
  settings: Settings;
  /** Calls the SCIM endpoint with this operator's token. */
  // biome-ignore lint/suspicious/noExplicitAny: SCIM replies are arbitrary JSON that tests read freely
  scim(method: string, pathName: string, body?: unknown): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

export interface OperatorIdentity {
  namespace: string;
  user: string;
  kubeconfig: string;
  token: string;
  connection: string;
  settings: Settings;
  admin: KubeConfig;
}

/**
 * A namespace, a token Secret, and a non-admin Kubernetes user bound to exactly the ClusterRole and Role that the
 * Helm chart ships (src/api/operator-rbac.ts), with a kubeconfig for it: what an operator replica runs as.
 */
export async function prepareOperatorIdentity(
  options: { settingsYaml?: string; namespace?: string; connection?: string } = {},
): Promise<OperatorIdentity> {
  const admin = adminKubeConfig();
  const namespace = options.namespace ?? (await createNamespace(admin, uniqueName('operator')));
  const user = `scim-operator-${namespace}`;
  const connection = options.connection ?? uniqueName('conn');
  const parsed = parseSettings(options.settingsYaml ?? '');
  // Operators share the test cluster: each serves its own connection only, as installations sharing a cluster must.
  const settings = parsed.connections.length ? parsed : { ...parsed, connections: [connection] };
  const token = randomBytes(24).toString('base64url');
  await grantOperatorIdentity(admin, { namespace, user, connection, token, settings });

  const kc = await kubeConfigFor(user);
  const kubeconfig = path.join(controlPlane().pkiDir, `${user}-${randomBytes(3).toString('hex')}.operator.kubeconfig`);
  await writeFile(kubeconfig, kc.exportConfig(), { mode: 0o600 });
  return { namespace, user, kubeconfig, token, connection, settings, admin };
}

/** Runs the operator in-process against the test control plane, as a prepared identity. */
export async function startTestOperator(
  options: {
    settingsYaml?: string;
    identity?: string;
    namespace?: string;
    connection?: string;
    onLeadershipLost?: () => void;
  } = {},
): Promise<TestOperator> {
  const { namespace, user, kubeconfig, token, connection, settings, admin } = await prepareOperatorIdentity(options);
  const operator = await startOperator(
    {
      kubeconfig,
      scimAddress: { host: '127.0.0.1', port: 0 },
      metricsAddress: { host: '127.0.0.1', port: 0 },
      tokenSecret: { namespace, name: 'scim-tokens' },
      logLevel: 'silent',
      requestTimeoutMs: 30_000,
    },
    {
      settings: { ...settings, leaderElection: { ...settings.leaderElection, namespace } },
      logger: createLogger(process.env.SCIM_OPERATOR_TEST_LOG_LEVEL ?? 'silent'),
      identity: options.identity,
      onLeadershipLost: options.onLeadershipLost ?? (() => {}),
    },
  );
  return {
    operator,
    namespace,
    user,
    token,
    connection,
    admin,
    settings,
    async scim(method, pathName, body) {
      const res = await fetch(`${operator.scimUrl}${pathName}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
    stop: () => operator.stop(),
  };
}
