import { createHash } from 'node:crypto';
import { annotations, labels } from '../api/labels.ts';
import type { ScimGroup, ScimGroupSpec } from '../api/scim-group.ts';
import type { ScimUser, ScimUserSpec } from '../api/scim-user.ts';
import { ENTERPRISE_USER_SCHEMA, type ResourceTypeName } from '../scim/schemas.ts';
import type { StoredResource } from '../scim/store.ts';
import { scimVersion } from './scim-version.ts';

/**
 * The mapping between SCIM attributes and the spec of our custom resources. It is mechanical on purpose: the CRD
 * schema mirrors the SCIM schema, except that the enterprise extension lives under `spec.enterprise` and the
 * manager's `$ref` under `ref` (a `$` is awkward in field paths and CEL).
 */

export type ScimObject = ScimUser | ScimGroup;

/**
 * Whether a connection sees this object over SCIM: it wrote it, and it has not been deleted. An object whose deletion
 * waits on a finalizer (downstream deprovisioning) is gone for SCIM from the moment its DELETE was answered; IdPs check
 * a delete by reading back 404.
 */
export function visibleTo(
  obj: { metadata?: { labels?: Record<string, string>; deletionTimestamp?: unknown } } | undefined,
  connection: string,
): boolean {
  return obj?.metadata?.labels?.[labels.connection] === connection && !obj.metadata.deletionTimestamp;
}

/** Label values are at most 63 characters of [A-Za-z0-9-_.]: index values are stored as hashes. */
export function indexHash(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 40);
}

export function userNameHash(userName: string): string {
  return indexHash(userName.toLowerCase());
}

export function displayNameHash(displayName: string): string {
  return indexHash(displayName.toLowerCase());
}

export function toSpec(type: ResourceTypeName, attributes: Record<string, unknown>): ScimUserSpec | ScimGroupSpec {
  if (type === 'Group') {
    const spec: Record<string, unknown> = { displayName: attributes.displayName };
    if (attributes.externalId !== undefined) spec.externalId = attributes.externalId;
    return spec as ScimGroupSpec;
  }
  const { [ENTERPRISE_USER_SCHEMA]: enterprise, ...core } = attributes;
  const spec: Record<string, unknown> = { ...core };
  if (enterprise && typeof enterprise === 'object') {
    const { manager, ...rest } = enterprise as Record<string, unknown>;
    const ext: Record<string, unknown> = { ...rest };
    if (manager && typeof manager === 'object') {
      const { $ref, ...m } = manager as Record<string, unknown>;
      ext.manager = $ref === undefined ? m : { ...m, ref: $ref };
    }
    spec.enterprise = ext;
  }
  return spec as ScimUserSpec;
}

export function toAttributes(type: ResourceTypeName, spec: ScimUserSpec | ScimGroupSpec): Record<string, unknown> {
  if (type === 'Group') return { ...spec };
  const { enterprise, ...core } = spec as ScimUserSpec;
  const attributes: Record<string, unknown> = { ...core };
  if (enterprise) {
    const { manager, ...rest } = enterprise;
    const ext: Record<string, unknown> = { ...rest };
    if (manager) {
      const { ref, ...m } = manager;
      ext.manager = ref === undefined ? m : { ...m, $ref: ref };
    }
    attributes[ENTERPRISE_USER_SCHEMA] = ext;
  }
  return attributes;
}

/** Labels that make the SCIM-level lookups answerable by a label selector on the API server. */
export function indexLabels(connection: string, type: ResourceTypeName, attributes: Record<string, unknown>) {
  const out: Record<string, string> = { [labels.connection]: connection, [labels.managedBy]: 'scim-operator' };
  if (type === 'User' && typeof attributes.userName === 'string')
    out[labels.userNameHash] = userNameHash(attributes.userName);
  if (type === 'Group' && typeof attributes.displayName === 'string')
    out[labels.displayNameHash] = displayNameHash(attributes.displayName);
  if (typeof attributes.externalId === 'string') out[labels.externalIdHash] = indexHash(attributes.externalId);
  const email = type === 'User' ? mainEmail(attributes.emails) : undefined;
  if (email) out[labels.emailHash] = indexHash(email.toLowerCase());
  return out;
}

/** The email an IdP matches on (Entra maps `emails[type eq "work"].value`): type work, else primary, else first. */
export function mainEmail(emails: unknown): string | undefined {
  if (!Array.isArray(emails)) return undefined;
  const list = emails.filter(
    (e): e is { value: string; type?: string; primary?: boolean } => typeof e?.value === 'string',
  );
  return (list.find((e) => e.type?.toLowerCase() === 'work') ?? list.find((e) => e.primary) ?? list[0])?.value;
}

function iso(value: string | Date | undefined): string {
  if (!value) return new Date(0).toISOString();
  return typeof value === 'string' ? new Date(value).toISOString() : value.toISOString();
}

export function toStored(type: ResourceTypeName, obj: ScimObject): StoredResource {
  const created = obj.metadata.annotations?.[annotations.created] ?? iso(obj.metadata.creationTimestamp);
  return {
    id: obj.metadata.name,
    version: scimVersion(type, obj),
    created,
    lastModified: obj.metadata.annotations?.[annotations.lastModified] ?? created,
    attributes: toAttributes(type, obj.spec),
  };
}
