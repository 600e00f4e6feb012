import { homedir } from 'node:os';
import path from 'node:path';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import type { AccessMapping } from '../api/access-mapping.ts';
import { API_GROUP, API_VERSION as VERSION } from '../api/crd-builder.ts';
import type { ScimGroup } from '../api/scim-group.ts';
import type { ScimGroupMembers } from '../api/scim-group-members.ts';
import type { ScimUser } from '../api/scim-user.ts';
import type { NamespaceInfo } from '../controllers/role-bindings/desired-role-bindings.ts';
import { loadSettings, parseSettings, type Settings } from '../settings.ts';
import { shardMembers } from '../store/member-shards.ts';

/**
 * The kubeconfig kubectl would use: `--kubeconfig`, else `$KUBECONFIG` (a list is merged), else `~/.kube/config`,
 * else the in-cluster service account; `--context` picks a context.
 */
export function loadKubeConfig(file: string | undefined, context: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (file) kc.loadFromFile(file);
  else kc.loadFromDefault();
  if (!kc.getCurrentCluster())
    throw new Error(
      `no cluster in the kubeconfig (${file ?? process.env.KUBECONFIG ?? path.join(homedir(), '.kube', 'config')})`,
    );
  if (context) kc.setCurrentContext(context);
  return kc;
}

/** Reads the cluster with list and get only; paged, so no list holds more than `pageSize` objects at once. */
export class ClusterReader {
  readonly kc: KubeConfig;
  private readonly pageSize: number;
  private readonly objects: CustomObjectsApi;
  private readonly core: CoreV1Api;

  constructor(kc: KubeConfig, pageSize = 500) {
    this.kc = kc;
    this.pageSize = pageSize;
    this.objects = kc.makeApiClient(CustomObjectsApi);
    this.core = kc.makeApiClient(CoreV1Api);
  }

  /** One page at a time, following `continue`: the caller decides what to keep. */
  async *pages<T>(plural: string, labelSelector?: string): AsyncGenerator<T[]> {
    let token: string | undefined;
    do {
      const list = (await this.objects.listClusterCustomObject({
        group: API_GROUP,
        version: VERSION,
        plural,
        limit: this.pageSize,
        _continue: token,
        labelSelector,
      })) as { items: T[]; metadata?: { _continue?: string; continue?: string } };
      yield list.items;
      token = list.metadata?._continue ?? list.metadata?.continue;
    } while (token);
  }

  async all<T>(plural: string, labelSelector?: string): Promise<T[]> {
    const out: T[] = [];
    for await (const page of this.pages<T>(plural, labelSelector)) out.push(...page);
    return out;
  }

  users = (labelSelector?: string) => this.pages<ScimUser>('scimusers', labelSelector);
  groups = () => this.all<ScimGroup>('scimgroups');
  mappings = () => this.all<AccessMapping>('accessmappings');

  async user(id: string): Promise<ScimUser | undefined> {
    try {
      return (await this.objects.getClusterCustomObject({
        group: API_GROUP,
        version: VERSION,
        plural: 'scimusers',
        name: id,
      })) as ScimUser;
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
  }

  /** User id -> ids of the groups the user is a direct member of, read from the member shards page by page. */
  async membershipsByUser(): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for await (const page of this.pages<ScimGroupMembers>('scimgroupmembers')) {
      for (const shard of page)
        for (const member of shardMembers(shard.spec)) {
          if (member.type === 'Group') continue;
          const list = out.get(member.value);
          if (list) list.push(shard.spec.group);
          else out.set(member.value, [shard.spec.group]);
        }
    }
    return out;
  }

  async namespaces(): Promise<NamespaceInfo[]> {
    const list = await this.core.listNamespace();
    return list.items.map((ns) => ({
      name: ns.metadata?.name ?? '',
      labels: ns.metadata?.labels ?? {},
      terminating: ns.status?.phase === 'Terminating',
    }));
  }

  /**
   * The operator's settings: `--settings file` when given, else the `config.yaml` key of the chart's ConfigMap.
   * Without either, the defaults, and a warning: the allowlist and protected namespaces may then differ.
   */
  async settings(
    options: { file?: string; namespace: string; configMap: string },
    warn: (message: string) => void,
  ): Promise<Settings> {
    if (options.file) return loadSettings(options.file);
    try {
      const cm = await this.core.readNamespacedConfigMap({ name: options.configMap, namespace: options.namespace });
      return parseSettings(cm.data?.['config.yaml'] ?? '', `ConfigMap ${options.namespace}/${options.configMap}`);
    } catch (err) {
      if ((err as { code?: number }).code !== 404 && (err as { code?: number }).code !== 403) throw err;
      warn(
        `warning: cannot read ConfigMap ${options.namespace}/${options.configMap}; using default settings (pass --settings or --operator-namespace)`,
      );
      return parseSettings('');
    }
  }
}
