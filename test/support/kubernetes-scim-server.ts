/**
 * The SCIM endpoint on the Kubernetes store of the run's control plane, as a replica would run it, plus an admin's
 * view of what it stored. Each server gets connections of its own (`token-a` and `token-b` name them), so suites can
 * send the IdPs' literal payloads, fixed userNames included, without colliding with other suites.
 */

import { readFileSync } from 'node:fs';
import https from 'node:https';
import { CustomObjectsApi, type KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { API_GROUP, API_VERSION } from '../../src/api/crd-builder.ts';
import { labels } from '../../src/api/labels.ts';
import { tokenAuthenticator } from '../../src/http/bearer-auth.ts';
import { KubernetesScimStore } from '../../src/store/kubernetes-store.ts';
import { shardMemberIds } from '../../src/store/member-shards.ts';
import { adminKubeConfig, uniqueName } from './cluster.ts';
import { startTestServer, type TestServer } from './scim-test-server.ts';

export interface Connections {
  a: string;
  b: string;
}

export interface KubernetesTestServer extends TestServer {
  store: KubernetesScimStore;
  connections: Connections;
  stop(): Promise<void>;
}

/** Fresh connection names, to share between replicas that must see the same data. */
export function uniqueConnections(prefix = 'conn'): Connections {
  return { a: uniqueName(`${prefix}-a`), b: uniqueName(`${prefix}-b`) };
}

/** A replica: its own store (informers included) and its own HTTP server. */
export async function startKubernetesTestServer(
  options: { kc?: KubeConfig; connections?: Connections } = {},
): Promise<KubernetesTestServer> {
  const connections = options.connections ?? uniqueConnections();
  const store = new KubernetesScimStore({ kc: options.kc ?? adminKubeConfig() });
  await store.start();
  const server = await startTestServer({
    store,
    authenticate: tokenAuthenticator([
      { token: 'token-a', connection: connections.a },
      { token: 'token-b', connection: connections.b },
    ]),
  });
  return {
    ...server,
    store,
    connections,
    async stop() {
      await server.close();
      await store.stop();
    },
  };
}

export type StoredObject = {
  metadata: { name: string; resourceVersion?: string; labels?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: stored objects are read as arbitrary JSON
  spec: any;
};

/** Reads what the endpoint stored, as an administrator would with kubectl. */
export class ClusterView {
  private readonly api: CustomObjectsApi;
  private readonly kc: KubeConfig;

  constructor(kc: KubeConfig = adminKubeConfig()) {
    this.kc = kc;
    this.api = kc.makeApiClient(CustomObjectsApi);
  }

  /** The object, or undefined when it does not exist. */
  async get(plural: string, name: string): Promise<StoredObject | undefined> {
    try {
      return (await this.api.getClusterCustomObject({ group: API_GROUP, version: API_VERSION, plural, name })) as never;
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
  }

  async list(plural: string, labelSelector: string): Promise<StoredObject[]> {
    const items: StoredObject[] = [];
    let cont: string | undefined;
    do {
      const page = (await this.api.listClusterCustomObject({
        group: API_GROUP,
        version: API_VERSION,
        plural,
        labelSelector,
        limit: 500,
        _continue: cont,
      })) as { items: StoredObject[]; metadata?: { continue?: string } };
      items.push(...page.items);
      // Custom object lists are untyped JSON: the token is `continue`, not client-node's `_continue`.
      cont = page.metadata?.continue || undefined;
    } while (cont);
    return items;
  }

  /** A merge patch of an object, as an administrator makes it. */
  async mergePatch(plural: string, name: string, patch: Record<string, unknown>): Promise<StoredObject> {
    return (await this.api.patchClusterCustomObject(
      { group: API_GROUP, version: API_VERSION, plural, name, body: patch },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as never;
  }

  /** A merge patch of the status subresource, as a controller (or any writer other than SCIM) makes it. */
  async patchStatus(plural: string, name: string, status: Record<string, unknown>): Promise<StoredObject> {
    return (await this.api.patchClusterCustomObjectStatus(
      { group: API_GROUP, version: API_VERSION, plural, name, body: { status } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as never;
  }

  /** The member shards of a group, by shard number. */
  async shards(groupId: string): Promise<StoredObject[]> {
    const shards = await this.list('scimgroupmembers', `${labels.group}=${groupId}`);
    return shards.sort((x, y) => x.spec.shard - y.spec.shard);
  }

  async memberIds(groupId: string): Promise<string[]> {
    return (await this.shards(groupId)).flatMap((s) => shardMemberIds(s.spec)).sort();
  }

  /**
   * What `kubectl get <plural> <name>` prints: the CRD's printer columns, asked of the API server as a Table.
   * Returns column name → cell.
   */
  async printedColumns(plural: string, name: string): Promise<Record<string, unknown>> {
    const table = JSON.parse(
      await this.request(
        'GET',
        `/apis/${API_GROUP}/${API_VERSION}/${plural}/${name}`,
        'application/json;as=Table;v=v1;g=meta.k8s.io',
      ),
    ) as { columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] };
    const [row] = table.rows;
    return Object.fromEntries(table.columnDefinitions.map((c, i) => [c.name, row?.cells[i]]));
  }

  /** Deletes every object of `plural` matching `labelSelector` in one request (the API server does the work). */
  async deleteCollection(plural: string, labelSelector: string): Promise<void> {
    await this.request(
      'DELETE',
      `/apis/${API_GROUP}/${API_VERSION}/${plural}?labelSelector=${encodeURIComponent(labelSelector)}`,
    );
  }

  private async request(method: string, path: string, accept = 'application/json'): Promise<string> {
    const options: https.RequestOptions = {};
    await this.kc.applyToHTTPSOptions(options);
    const server = new URL(this.kc.getCurrentCluster()?.server ?? '');
    return new Promise((resolve, reject) => {
      const req = https.request(
        { ...options, host: server.hostname, port: server.port, method, path, headers: { accept } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if ((res.statusCode ?? 500) >= 300) reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`));
            else resolve(text);
          });
        },
      );
      req.on('error', reject);
      req.end();
    });
  }
}

/** A recorded IdP payload from test/fixtures, with literal ids swapped for the ones this run created. */
export function fixture(name: string, replacements: Record<string, string> = {}): Record<string, unknown> {
  let text = readFileSync(new URL(`../fixtures/${name}.json`, import.meta.url), 'utf8');
  for (const [from, to] of Object.entries(replacements)) text = text.split(from).join(to);
  return JSON.parse(text);
}

export const filterQuery = (filter: string) => `filter=${encodeURIComponent(filter)}`;
