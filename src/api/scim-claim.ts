import { z } from 'zod';
import { type CustomResource, resourceKind, toCrd } from './crd-builder.ts';

/**
 * A claim on a unique value (a userName or a group displayName) within one connection. Its name is a hash of the
 * connection, resource type and normalised value, so creating it is an atomic test-and-set across replicas: the API
 * server answers AlreadyExists to the loser (docs/adr/0005-uniqueness-claims.md).
 */
export const scimClaimSpecSchema = z
  .object({
    resourceType: z.enum(['User', 'Group']).describe('The SCIM resource type holding the value.'),
    attribute: z.enum(['userName', 'displayName']).describe('The unique attribute.'),
    value: z.string().max(1024).describe('The value, lowercased.'),
    owner: z.string().min(1).max(253).describe('The SCIM id (object name) of the resource holding the value.'),
  })
  .describe('Which resource holds a unique value. Written by the SCIM endpoint.');

export type ScimClaimSpec = z.infer<typeof scimClaimSpecSchema>;
export type ScimClaim = CustomResource<ScimClaimSpec>;

export const scimClaimKind = resourceKind('ScimClaim', 'scimclaims', 'scimclaim', ['sclaim']);

export const scimClaimCrd = toCrd(scimClaimKind, {
  description: 'Holds a unique SCIM value (userName, group displayName) for one resource within one connection.',
  spec: scimClaimSpecSchema,
  printerColumns: [
    { name: 'Type', type: 'string', jsonPath: '.spec.resourceType' },
    { name: 'Value', type: 'string', jsonPath: '.spec.value' },
    { name: 'Owner', type: 'string', jsonPath: '.spec.owner' },
  ],
});
