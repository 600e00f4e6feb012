import { readdirSync, readFileSync } from 'node:fs';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { parseSettings } from '../settings.ts';
import { type AccessMappingSpec, accessMappingCrd, accessMappingSpecSchema } from './access-mapping.ts';
import { apiVersion } from './crd-builder.ts';

/**
 * Every examples/access-mapping-*.yaml must stay a valid AccessMapping: the zod schema the CRD is generated from,
 * no unknown keys (the API server would prune them silently), the CEL rules of the CRD restated here, and roles
 * that the default settings allow, so that each example works on a fresh install.
 */
const examplesDir = new URL('../../examples/', import.meta.url);
const files = readdirSync(examplesDir)
  .filter((f) => /^access-mapping-.*\.yaml$/.test(f))
  .sort();

type OpenApi = {
  properties?: Record<string, OpenApi>;
  items?: OpenApi;
  additionalProperties?: OpenApi | boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
};

/**
 * What the API server keeps of `value` under the CRD's structural schema: keys a schema does not declare are pruned
 * (or refused, with strict field validation). An example that loses a key here would not mean what it says.
 */
function pruned(value: unknown, schema: OpenApi | undefined): unknown {
  if (Array.isArray(value)) return value.map((v) => pruned(v, schema?.items));
  if (!value || typeof value !== 'object' || !schema) return value;
  if (schema['x-kubernetes-preserve-unknown-fields']) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const additional = typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
    const child = schema.properties?.[key] ?? additional;
    if (child || schema.additionalProperties === true) out[key] = pruned(v, child);
  }
  return out;
}

const crdRoot = accessMappingCrd.spec.versions[0]?.schema?.openAPIV3Schema as OpenApi | undefined;
const crdSpecSchema = crdRoot?.properties?.spec;

/** The CRD's x-kubernetes-validations, which zod carries only as metadata. */
function celViolations(spec: AccessMappingSpec): string[] {
  const problems: string[] = [];
  if (!spec.roleBindings && !spec.clusterRoleBindings && !spec.apps) problems.push('grants nothing');
  for (const group of spec.subjects.groups ?? []) {
    if ((group.displayName === undefined) === (group.externalId === undefined))
      problems.push('a group needs exactly one of displayName and externalId');
  }
  for (const binding of spec.roleBindings ?? []) {
    if ((binding.clusterRole === undefined) === (binding.role === undefined))
      problems.push('a roleBinding needs exactly one of clusterRole and role');
    if (!binding.namespaces && !binding.namespaceSelector)
      problems.push('a roleBinding needs namespaces or a selector');
  }
  if (spec.expiresAt !== undefined && Number.isNaN(Date.parse(spec.expiresAt)))
    problems.push('expiresAt is not a date-time');
  return problems;
}

describe('examples/access-mapping-*.yaml', () => {
  it('exist', () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
    expect(crdSpecSchema?.properties?.subjects, 'the CRD spec schema to prune against').toBeDefined();
  });

  const defaults = parseSettings('');

  for (const file of files) {
    it(`${file} is a valid AccessMapping that the default settings can grant`, () => {
      const text = readFileSync(new URL(file, examplesDir), 'utf8');
      expect(text.startsWith('#'), 'starts with a header comment').toBe(true);
      const doc = load(text) as { apiVersion: string; kind: string; metadata: { name: string }; spec: unknown };
      expect(doc.apiVersion).toBe(apiVersion);
      expect(doc.kind).toBe('AccessMapping');
      expect(doc.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);

      const parsed = accessMappingSpecSchema.safeParse(doc.spec);
      expect(parsed.error?.issues ?? []).toEqual([]);
      // zod drops unknown keys; equality proves there were none (a typo would otherwise pass unnoticed).
      expect(parsed.data).toEqual(doc.spec);
      const spec = parsed.data!;
      expect(celViolations(spec)).toEqual([]);
      expect(pruned(doc.spec, crdSpecSchema), 'keys the CRD schema would prune').toEqual(doc.spec);

      for (const binding of spec.roleBindings ?? []) {
        if (binding.clusterRole) expect(defaults.roles.allowedClusterRoles).toContain(binding.clusterRole);
        if (binding.role) expect(defaults.roles.allowedRoles).toContain(binding.role);
      }
      for (const binding of spec.clusterRoleBindings ?? []) {
        expect(defaults.roles.allowClusterRoleBindings).toContain(binding.clusterRole);
      }
    });
  }
});
