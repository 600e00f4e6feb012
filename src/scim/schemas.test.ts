import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { limits, userSchema } from './schemas.ts';

interface OpenApiSchema {
  properties?: Record<string, OpenApiSchema>;
  maxItems?: number;
}

/** The spec properties of the ScimUser CRD as applied to clusters: the source the caps must not exceed. */
function scimUserSpec(): Record<string, OpenApiSchema> {
  const crd = load(readFileSync(new URL('../../crds/scimusers.yaml', import.meta.url), 'utf8')) as {
    spec: { versions: { schema: { openAPIV3Schema: OpenApiSchema } }[] };
  };
  return crd.spec.versions[0]!.schema.openAPIV3Schema.properties!.spec!.properties!;
}

describe('limits', () => {
  it('caps every multi-valued User attribute at the maxItems of its CRD field, so what the API server would refuse fails first', () => {
    const spec = scimUserSpec();
    const multiValued = userSchema.attributes.filter((a) => a.multiValued && a.mutability !== 'readOnly');
    expect(multiValued.map((a) => a.name)).toContain('roles');
    for (const attribute of multiValued) {
      expect({ name: attribute.name, maxValues: attribute.maxValues }).toEqual({
        name: attribute.name,
        maxValues: spec[attribute.name]?.maxItems,
      });
    }
  });

  it('keeps maxValuesPerAttribute the cap of the plain multi-valued attributes', () => {
    expect(userSchema.attributes.find((a) => a.name === 'roles')?.maxValues).toBe(limits.maxValuesPerAttribute);
  });
});
