import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesObject,
  RbacAuthorizationV1Api,
} from '@kubernetes/client-node';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createInformer } from '../../src/runtime/informer.ts';
import { adminKubeConfig, createNamespace, kubeConfigFor, subjectCan, uniqueName } from '../support/cluster.ts';

const group = 'scim-operator.dev';
const version = 'v1alpha1';

describe('the test control plane', () => {
  let admin: KubeConfig;
  beforeAll(() => {
    admin = adminKubeConfig();
  });

  it('serves our CRDs: a custom resource is created, read back, seen by a watch, and a stale update gets 409', async () => {
    const objects = admin.makeApiClient(CustomObjectsApi);
    const name = uniqueName('cp-user');
    // A watch through our informer, which also retries the 429 the API server answers while the watch cache of a
    // freshly served CRD is still initialising.
    const informer = createInformer<KubernetesObject>(
      admin,
      `/apis/${group}/${version}/scimusers`,
      () => objects.listClusterCustomObject({ group, version, plural: 'scimusers', labelSelector: `test=${name}` }),
      { name: 'test', labelSelector: `test=${name}` },
    );
    await informer.start();
    const seen = new Promise<string>((resolve) =>
      informer.on('add', (o: KubernetesObject) => resolve(o.metadata?.name ?? '')),
    );
    const created = (await objects.createClusterCustomObject({
      group,
      version,
      plural: 'scimusers',
      body: {
        apiVersion: `${group}/${version}`,
        kind: 'ScimUser',
        metadata: { name, labels: { test: name } },
        spec: { userName: 'ada' },
      },
    })) as { metadata: { resourceVersion: string } };
    const read = (await objects.getClusterCustomObject({ group, version, plural: 'scimusers', name })) as {
      spec: { userName: string; active?: boolean };
    };
    expect(read.spec.userName).toBe('ada');
    // An earlier CRD defaulted it to true, so a SCIM PATCH that removed `active` read back as true.
    expect(read.spec.active, 'the CRD leaves active unset, as SCIM leaves it unassigned').toBeUndefined();
    await expect(seen).resolves.toBe(name);
    await informer.stop();

    await objects.replaceClusterCustomObject({
      group,
      version,
      plural: 'scimusers',
      name,
      body: { ...read, spec: { userName: 'ada2' } },
    });
    const stale = objects.replaceClusterCustomObject({
      group,
      version,
      plural: 'scimusers',
      name,
      body: {
        apiVersion: `${group}/${version}`,
        kind: 'ScimUser',
        metadata: { name, resourceVersion: created.metadata.resourceVersion },
        spec: { userName: 'ada3' },
      },
    });
    await expect(stale).rejects.toSatisfy((e) => e instanceof ApiException && e.code === 409);
  });

  it('enforces RBAC: alice can list pods in her namespace only once a RoleBinding to view exists', async () => {
    const ns = await createNamespace(admin);
    const alice = await kubeConfigFor('alice');
    const listAsAlice = () => alice.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: ns });
    await expect(listAsAlice()).rejects.toSatisfy((e) => e instanceof ApiException && e.code === 403);
    const attributes = { namespace: ns, verb: 'list', resource: 'pods' };
    expect(await subjectCan(admin, { user: 'alice' }, attributes)).toBe(false);

    await admin.makeApiClient(RbacAuthorizationV1Api).createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name: 'alice-view' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice' }],
      },
    });
    await vi.waitFor(
      async () =>
        expect(await subjectCan(admin, { user: 'alice' }, attributes), 'SubjectAccessReview allows').toBe(true),
      { timeout: 10_000 },
    );
    await expect(listAsAlice()).resolves.toBeDefined();
  });

  it('prevents escalation: a user who may only create rolebindings cannot bind admin until granted bind on it', async () => {
    const ns = await createNamespace(admin);
    const binder = uniqueName('binder');
    const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace: ns,
      body: {
        metadata: { name: 'rolebinding-writer' },
        rules: [{ apiGroups: ['rbac.authorization.k8s.io'], resources: ['rolebindings'], verbs: ['create'] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name: 'binder-writes-rolebindings' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'rolebinding-writer' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: binder }],
      },
    });
    const asBinder = (await kubeConfigFor(binder)).makeApiClient(RbacAuthorizationV1Api);
    const bindAdmin = (name: string) =>
      asBinder.createNamespacedRoleBinding({
        namespace: ns,
        body: {
          metadata: { name },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' },
          subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'mallory' }],
        },
      });
    await vi.waitFor(
      async () =>
        expect(
          await subjectCan(
            admin,
            { user: binder },
            { namespace: ns, verb: 'create', resource: 'rolebindings', group: 'rbac.authorization.k8s.io' },
          ),
          'binder may create rolebindings',
        ).toBe(true),
      { timeout: 10_000 },
    );
    await expect(bindAdmin('attempt-1')).rejects.toSatisfy(
      (e) =>
        e instanceof ApiException &&
        e.code === 403 &&
        String(e.body).includes('attempting to grant RBAC permissions not currently held'),
    );

    await rbac.createClusterRole({
      body: {
        metadata: { name: `${binder}-bind-admin` },
        rules: [
          {
            apiGroups: ['rbac.authorization.k8s.io'],
            resources: ['clusterroles'],
            verbs: ['bind'],
            resourceNames: ['admin'],
          },
        ],
      },
    });
    await rbac.createClusterRoleBinding({
      body: {
        metadata: { name: `${binder}-bind-admin` },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `${binder}-bind-admin` },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: binder }],
      },
    });
    await vi.waitFor(
      async () =>
        expect(
          await subjectCan(
            admin,
            { user: binder },
            {
              verb: 'bind',
              resource: 'clusterroles',
              group: 'rbac.authorization.k8s.io',
              name: 'admin',
            },
          ),
          'binder may bind admin',
        ).toBe(true),
      { timeout: 10_000 },
    );
    await expect(bindAdmin('attempt-2')).resolves.toBeDefined();
  });
});
