import { randomBytes } from 'node:crypto';
import type { ScimGroup } from '../api/scim-group.ts';
import type { ScimUser } from '../api/scim-user.ts';
import type { ResourceTypeName } from '../scim/schemas.ts';

/**
 * The SCIM version (`meta.version`, the ETag) of a stored object (docs/adr/0010-scim-version-from-generation.md).
 * It moves exactly when the SCIM-visible resource moves:
 * - `metadata.generation`, which the API server bumps on every spec change (whoever makes it) and never on status,
 *   label, annotation or finalizer changes, since our CRDs have the status subresource;
 * - for a Group, also the members token, an annotation the store sets to a fresh random value with every member
 *   change (members live in shards, outside the group's spec).
 * The controllers' writes (status, finalizers, Events) therefore leave it alone, where `resourceVersion` would not.
 */
export function scimVersion(type: ResourceTypeName, obj: ScimUser | ScimGroup): string {
  const generation = String(obj.metadata.generation ?? 0);
  const members = type === 'Group' ? obj.metadata.annotations?.[MEMBERS_VERSION_ANNOTATION] : undefined;
  return members === undefined ? generation : `${generation}-${members}`;
}

/** Store-internal: set with every member change of a group, so that the group's SCIM version moves with it. */
export const MEMBERS_VERSION_ANNOTATION = 'scim-operator.dev/members-version';

/**
 * A fresh members token. Random rather than a counter, so that member changes can set it without reading the group
 * first and without a resourceVersion precondition: two concurrent changes never conflict and never share a token.
 */
export function newMembersToken(): string {
  return randomBytes(6).toString('base64url');
}
