import { describe, expect, it } from 'vitest';
import {
  resourceTypeDocumentById,
  resourceTypeList,
  schemaDocumentById,
  schemaList,
  serviceProviderConfig,
} from './discovery.ts';
import { limits, resourceTypes, schemas, USER_SCHEMA } from './schemas.ts';

const baseUrl = 'https://scim.example.com/scim/v2';

function containsNull(value: unknown): boolean {
  if (value === null) return true;
  if (typeof value !== 'object') return false;
  return Object.values(value as object).some(containsNull);
}

describe('discovery documents', () => {
  it('advertise patch, filter with maxResults and ETags, and no bulk, sort or password change', () => {
    const config = serviceProviderConfig(baseUrl);
    expect(config).toMatchObject({
      patch: { supported: true },
      bulk: { supported: false },
      filter: { supported: true, maxResults: limits.maxResults },
      changePassword: { supported: false },
      sort: { supported: false },
      etag: { supported: true },
      meta: { resourceType: 'ServiceProviderConfig', location: `${baseUrl}/ServiceProviderConfig` },
    });
    expect(config.authenticationSchemes).toEqual([
      expect.objectContaining({ type: 'oauthbearertoken', primary: true }),
    ]);
  });

  it('list every schema and resource type of the registry as ListResponses', () => {
    const schemaPage = schemaList(baseUrl);
    expect(schemaPage.totalResults).toBe(schemas.length);
    expect(schemaPage.Resources.map((s) => s.id)).toEqual(schemas.map((s) => s.id));
    const typePage = resourceTypeList(baseUrl);
    expect(typePage.Resources.map((t) => t.endpoint)).toEqual(resourceTypes.map((t) => t.endpoint));
  });

  it('serve single schemas and resource types by id, case-insensitively, with meta', () => {
    expect(schemaDocumentById(baseUrl, USER_SCHEMA.toUpperCase())?.meta).toEqual({
      resourceType: 'Schema',
      location: `${baseUrl}/Schemas/${USER_SCHEMA}`,
    });
    expect(resourceTypeDocumentById(baseUrl, 'group')?.meta).toEqual({
      resourceType: 'ResourceType',
      location: `${baseUrl}/ResourceTypes/Group`,
    });
    expect(schemaDocumentById(baseUrl, 'urn:nope')).toBeUndefined();
    expect(resourceTypeDocumentById(baseUrl, 'Device')).toBeUndefined();
  });

  it('contain no null values anywhere', () => {
    for (const doc of [serviceProviderConfig(baseUrl), schemaList(baseUrl), resourceTypeList(baseUrl)]) {
      expect(containsNull(doc)).toBe(false);
    }
  });

  it("describe userName as the registry does, as Entra's schema reader expects", () => {
    const user = schemaDocumentById(baseUrl, USER_SCHEMA) as { attributes: Record<string, unknown>[] };
    expect(user.attributes.find((a) => a.name === 'userName')).toMatchObject({
      type: 'string',
      multiValued: false,
      required: true,
      caseExact: false,
      mutability: 'readWrite',
      returned: 'default',
      uniqueness: 'server',
    });
  });
});
