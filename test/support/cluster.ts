import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  AuthorizationV1Api,
  CoreV1Api,
  KubeConfig,
  RbacAuthorizationV1Api,
  type V1ResourceAttributes,
} from '@kubernetes/client-node';
import { inject } from 'vitest';
import { writeKubeconfig } from '../../src/control-plane/control-plane.ts';
import { issueClientCertificate, type Pki, pkiAt } from '../../src/control-plane/pki.ts';

/** Access to the run's control plane from inside a test file. */
export function controlPlane() {
  return inject('controlPlane');
}

export function adminKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(controlPlane().adminKubeconfig);
  return kc;
}

function pki(): Pki {
  return pkiAt(controlPlane().pkiDir);
}

/** A kubeconfig that authenticates as `user` in `groups` with a client certificate of the run's CA. */
export async function kubeConfigFor(user: string, groups: string[] = []): Promise<KubeConfig> {
  const cert = await issueClientCertificate(pki(), user, groups);
  const ca = await readFile(pki().caCert, 'utf8');
  const file = path.join(
    pki().dir,
    `${user.replace(/[^a-zA-Z0-9-]/g, '_')}-${randomBytes(4).toString('hex')}.kubeconfig`,
  );
  await writeKubeconfig(file, controlPlane().server, ca, user, cert);
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  return kc;
}

/** A DNS-1123 name unique to this run, so suites sharing the control plane never collide. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export async function createNamespace(kc: KubeConfig, name = uniqueName('ns'), labels: Record<string, string> = {}) {
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name, labels } } });
  return name;
}

/** Asks the real RBAC authorizer through a SubjectAccessReview. */
export async function subjectCan(
  kc: KubeConfig,
  subject: { user: string; groups?: string[] },
  resourceAttributes: V1ResourceAttributes,
): Promise<boolean> {
  const review = await kc.makeApiClient(AuthorizationV1Api).createSubjectAccessReview({
    body: { spec: { user: subject.user, groups: subject.groups ?? [], resourceAttributes } },
  });
  return review.status?.allowed === true;
}

export const rbac = (kc: KubeConfig) => kc.makeApiClient(RbacAuthorizationV1Api);

export { createOurs } from './our-objects.ts';
