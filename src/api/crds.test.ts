import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { generatedFiles } from '../chart/generated-files.ts';
import { crds } from './crds.ts';

describe('CRD manifests', () => {
  it.each(Object.keys(generatedFiles()))('%s is generated from its current source', async (file) => {
    const committed = await readFile(new URL(`../../${file}`, import.meta.url), 'utf8').catch(() => '');
    expect(committed, 'run `npm run generate` after changing src/api or src/chart').toBe(generatedFiles()[file]);
  });

  it('makes every kind cluster-scoped, in the scim category, with a status subresource where it has status', () => {
    for (const crd of Object.values(crds)) {
      expect(crd.spec.scope).toBe('Cluster');
      expect(crd.spec.names.categories).toContain('scim');
      const version = crd.spec.versions[0]!;
      const properties = (version.schema?.openAPIV3Schema?.properties ?? {}) as Record<string, unknown>;
      const hasStatus = Boolean(properties.status);
      expect(Boolean(version.subresources?.status)).toBe(hasStatus);
    }
  });

  it('defaults no SCIM attribute, so one a PATCH removed reads back unassigned (RFC 7643 section 2.5)', () => {
    for (const file of ['scimusers.yaml', 'scimgroups.yaml']) {
      const crd = crds[file]!;
      const schema = crd.spec.versions[0]!.schema?.openAPIV3Schema?.properties?.spec;
      expect(JSON.stringify(schema ?? {}), file).not.toMatch(/"default":/);
    }
  });

  it('keeps maps as maps: a label selector keeps its labels instead of being pruned to match everything', () => {
    const spec =
      // biome-ignore lint/suspicious/noExplicitAny: walking generated JSON Schema
      (crds['accessmappings.yaml']!.spec.versions[0]!.schema!.openAPIV3Schema!.properties as Record<string, any>).spec;
    const selector = spec.properties.roleBindings.items.properties.namespaceSelector;
    expect(selector.properties.matchLabels.additionalProperties).toEqual({ type: 'string' });
  });
});
