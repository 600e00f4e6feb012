/** AccessMappings created as an administrator (or GitOps) would, and a readiness check from the operator's cache. */

import type { KubeConfig } from '@kubernetes/client-node';
import type { AccessMapping } from '../../src/api/access-mapping.ts';
import type { RunningOperator } from '../../src/main.ts';
import { createOurs } from '../../test/support/our-objects.ts';

export async function createAccessMapping(
  admin: KubeConfig,
  name: string,
  spec: { connection: string; groups: string[]; clusterRole: string; namespaces: string[] },
): Promise<void> {
  await createOurs(admin, 'AccessMapping', name, {
    connection: spec.connection,
    subjects: { groups: spec.groups.map((displayName) => ({ displayName })) },
    roleBindings: [{ clusterRole: spec.clusterRole, namespaces: spec.namespaces }],
  });
}

/**
 * How many of `names` the operator's own cache shows Ready for their current generation, with bindings and, when
 * given, `subjectCount` subjects. Read from the cache so that polling costs the API server nothing.
 */
export function readyMappings(operator: RunningOperator, names: Set<string>, subjectCount?: number): number {
  let ready = 0;
  for (const object of operator.controllers.mappings.list()) {
    const mapping = object as unknown as AccessMapping;
    if (!names.has(mapping.metadata.name)) continue;
    const status = mapping.status;
    const readyCondition = status?.conditions?.find((c) => c.type === 'Ready');
    if (
      readyCondition?.status === 'True' &&
      status?.observedGeneration === mapping.metadata.generation &&
      (status?.bindingCount ?? 0) > 0 &&
      (subjectCount === undefined || status?.subjectCount === subjectCount)
    ) {
      ready++;
    }
  }
  return ready;
}
