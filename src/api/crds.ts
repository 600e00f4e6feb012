import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import { dump } from 'js-yaml';
import { accessMappingCrd } from './access-mapping.ts';
import { downstreamAppCrd } from './downstream-app.ts';
import { scimClaimCrd } from './scim-claim.ts';
import { scimGroupCrd } from './scim-group.ts';
import { scimGroupMembersCrd } from './scim-group-members.ts';
import { scimUserCrd } from './scim-user.ts';

/** Every CRD of the API, keyed by the file it is written to in crds/. */
export const crds: Record<string, V1CustomResourceDefinition> = {
  'scimusers.yaml': scimUserCrd,
  'scimgroups.yaml': scimGroupCrd,
  'scimgroupmembers.yaml': scimGroupMembersCrd,
  'scimclaims.yaml': scimClaimCrd,
  'accessmappings.yaml': accessMappingCrd,
  'downstreamapps.yaml': downstreamAppCrd,
};

const header = '# Generated from src/api by scripts/generate-crds.ts; edit the zod schemas there, not this file.\n';

export function renderCrd(crd: V1CustomResourceDefinition): string {
  return header + dump(JSON.parse(JSON.stringify(crd)), { lineWidth: 120, noRefs: true, sortKeys: false });
}

export function renderAllCrds(): string {
  return Object.values(crds)
    .map((crd) => renderCrd(crd))
    .join('---\n');
}
