import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScimUser } from '../../src/api/scim-user.ts';
import { ResourceClient } from '../../src/store/kube-client.ts';
import { adminKubeConfig, uniqueName } from '../support/cluster.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';

describe('ResourceClient', () => {
  let proxy: TcpProxy;
  let client: ResourceClient<ScimUser>;
  beforeAll(async () => {
    const admin = adminKubeConfig();
    proxy = await startTcpProxy(Number(new URL(admin.getCurrentCluster()!.server).port));
    const kc = new KubeConfig();
    kc.loadFromString(admin.exportConfig());
    kc.clusters = kc.clusters.map((c) => ({ ...c, server: `https://127.0.0.1:${proxy.port}` }));
    client = new ResourceClient<ScimUser>(kc, 'ScimUser', 'scimusers');
  });
  afterAll(async () => {
    await proxy?.close();
  });

  it('reuses its connections to the API server instead of opening one per request', async () => {
    const name = uniqueName('keepalive');
    await client.create({ metadata: { name }, spec: { userName: name } } as Omit<ScimUser, 'apiVersion' | 'kind'>);
    for (let i = 0; i < 20; i++) await client.get(name);
    await client.delete(name);
    expect(client.requests).toBe(22);
    expect(proxy.connections).toBeLessThanOrEqual(2);
  });

  it('lists for an informer without managedFields and with the resourceVersion a watch resumes from', async () => {
    const name = uniqueName('informer-list');
    const created = await client.create({ metadata: { name }, spec: { userName: name } } as Omit<
      ScimUser,
      'apiVersion' | 'kind'
    >);
    expect(created.metadata).toHaveProperty('managedFields');
    const listed = await client.listForInformer();
    await client.delete(name);
    const item = listed.items.find((i) => i.metadata?.name === name);
    expect(item?.metadata?.uid).toBe(created.metadata.uid);
    expect(item?.metadata).not.toHaveProperty('managedFields');
    expect(BigInt(listed.metadata?.resourceVersion ?? '0')).toBeGreaterThanOrEqual(
      BigInt(created.metadata.resourceVersion ?? ''),
    );
  });

  it('lists past the first page of 500', async () => {
    const prefix = uniqueName('paged');
    const names = Array.from({ length: 501 }, (_, i) => `${prefix}-${i}`);
    const label = { 'scim-operator.dev/connection': prefix };
    for (let i = 0; i < names.length; i += 50)
      await Promise.all(
        names
          .slice(i, i + 50)
          .map((name) =>
            client.create({ metadata: { name, labels: label }, spec: { userName: name } } as Omit<
              ScimUser,
              'apiVersion' | 'kind'
            >),
          ),
      );
    const listed = await client.list(`scim-operator.dev/connection=${prefix}`);
    const forInformer = (await client.listForInformer()).items.filter((i) => i.metadata?.name?.startsWith(prefix));
    for (let i = 0; i < names.length; i += 50) await Promise.all(names.slice(i, i + 50).map((n) => client.delete(n)));
    expect(listed).toHaveLength(501);
    expect(forInformer).toHaveLength(501);
  });

  it('opens a new connection after the old one was cut', async () => {
    const before = proxy.connections;
    proxy.cut();
    await expect(client.list('scim-operator.dev/connection=nobody')).rejects.toThrow();
    proxy.restore();
    expect(await client.list('scim-operator.dev/connection=nobody')).toEqual([]);
    expect(proxy.connections).toBeGreaterThan(before);
  });
});
