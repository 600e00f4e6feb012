import { readFile } from 'node:fs/promises';
import { RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { loadAll } from 'js-yaml';
import { type AccessMapping, accessMappingSpecSchema, type MappingFailure } from '../api/access-mapping.ts';
import { apiVersion } from '../api/crd-builder.ts';
import { labels } from '../api/labels.ts';
import type { ScimUser } from '../api/scim-user.ts';
import {
  desiredRoleBindings,
  MAPPING_LABEL,
  mappingLabelValue,
} from '../controllers/role-bindings/desired-role-bindings.ts';
import { mappingConnection } from '../controllers/shared/connection-scope.ts';
import type { AccessContext } from './access-context.ts';
import type { ClusterReader } from './cluster-reader.ts';
import { identitySnapshot } from './identity-snapshot.ts';
import type { Output } from './output.ts';
import { isRefusal, planChanges } from './plan-diff.ts';
import { indent, renderTable } from './table.ts';

export const PLAN_HELP = `Show what applying an AccessMapping would grant, revoke and refuse, before it is applied.

Usage:
  kubectl scim plan -f mapping.yaml [--settings settings.yaml] [flags]

Compares the operator's bindings for the mapping that exist now with the ones it would write, per namespace, role
and subject, computed with the controller's own function. The allowlists and protected namespaces come from the
operator's ConfigMap (--operator-namespace, --operator-configmap) or --settings. Run it in CI on a GitOps pull request.

Exit status: 0 when nothing is refused, 1 when a part would be refused (role not allowlisted, protected or missing
namespace, connection required), 2 on a usage or read error.
`;

/** The AccessMappings in a YAML file (several documents allowed), checked against the CRD's spec schema. */
export async function readMappings(file: string): Promise<AccessMapping[]> {
  const docs = loadAll(
    file === '-' ? await readStdin() : await readFile(file, 'utf8'),
  ) as Array<Partial<AccessMapping> | null>;
  const out: AccessMapping[] = [];
  for (const doc of docs) {
    if (doc?.kind !== 'AccessMapping') continue;
    const name = doc.metadata?.name;
    if (!name) throw new Error(`${file}: an AccessMapping has no metadata.name`);
    const spec = accessMappingSpecSchema.safeParse(doc.spec);
    if (!spec.success)
      throw new Error(
        `${file}: AccessMapping ${name}: ${spec.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    out.push({ apiVersion, kind: 'AccessMapping', metadata: { ...doc.metadata, name }, spec: spec.data });
  }
  if (out.length === 0) throw new Error(`${file}: no AccessMapping found`);
  return out;
}

/** Prints the plan of each mapping; resolves to the exit status (0: nothing refused, 1: something refused). */
export async function runPlan(
  mappings: readonly AccessMapping[],
  context: AccessContext,
  reader: ClusterReader,
  out: Output,
): Promise<number> {
  const users: ScimUser[] = [];
  for await (const page of reader.users()) users.push(...page);
  const members = new Map<string, string[]>();
  for (const [userId, groupIds] of context.memberships)
    for (const g of groupIds) members.set(g, [...(members.get(g) ?? []), userId]);
  const view = identitySnapshot(users, [...context.groups.values()], members, context.settings.subjects);
  const served = new Set(context.served);
  for (const u of users) {
    const c = u.metadata.labels?.[labels.connection];
    if (c && context.settings.connections.length === 0) served.add(c);
  }
  const rbac = reader.kc.makeApiClient(RbacAuthorizationV1Api);
  let status = 0;
  for (const mapping of mappings) {
    const name = mapping.metadata.name;
    let text = `AccessMapping ${name}:\n`;
    const scope = mappingConnection(mapping, served);
    const selector = `${MAPPING_LABEL}=${mappingLabelValue(name)}`;
    const [rbs, crbs] = await Promise.all([
      rbac.listRoleBindingForAllNamespaces({ labelSelector: selector }),
      rbac.listClusterRoleBinding({ labelSelector: selector }),
    ]);
    const existing = [...rbs.items, ...crbs.items];
    if (!scope.ok && scope.reason === 'NotServed') {
      text += `  not applied by this installation: connection ${mapping.spec.connection} is not served here\n`;
      await out.write(text);
      continue;
    }
    const failures: MappingFailure[] = scope.ok ? [] : [{ reason: scope.reason, message: scope.message }];
    const desired = scope.ok
      ? desiredRoleBindings({
          mapping: { ...mapping, spec: { ...mapping.spec, connection: scope.connection } },
          identities: view,
          namespaces: [...context.namespaces],
          settings: context.settings,
          operatorNamespace: context.operatorNamespace,
          now: context.now,
        })
      : undefined;
    if (desired) failures.push(...desired.failures);
    // A suspended mapping is frozen: applying it changes nothing that exists (ADR 0009).
    const changes =
      mapping.spec.suspend || !desired
        ? []
        : planChanges(existing, [...desired.roleBindings, ...desired.clusterRoleBindings]);
    if (mapping.spec.suspend) text += '  suspended: nothing is granted or revoked while spec.suspend is true\n';
    text +=
      changes.length === 0
        ? '  no change to bindings\n'
        : indent(
            renderTable(
              ['action', 'namespace', 'role', 'subject'],
              changes.map((c) => [c.action, c.namespace, c.role, c.subject]),
            ),
          );
    const refused = failures.filter(isRefusal);
    const warnings = failures.filter((f) => !isRefusal(f));
    if (refused.length > 0) {
      status = 1;
      text += indent(
        renderTable(
          ['refused', 'namespace', 'reason'],
          refused.map((f) => [f.reason, f.namespace ?? '', f.message]),
        ),
      );
    }
    for (const w of warnings) text += `  warning: ${w.reason}: ${w.message}\n`;
    await out.write(text);
  }
  return status;
}

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  return text;
}
