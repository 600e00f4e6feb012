/**
 * The outgoing SCIM document of a stored resource: `schemas`, `id`, the stored attributes, Group `members` or User
 * `groups` when the caller read them, and `meta` with an absolute `location` and a weak ETag as `version`.
 * Null values are never emitted (Entra rejects them).
 */

import { ENTERPRISE_USER_SCHEMA, type ResourceTypeName, resourceType } from './schemas.ts';
import type { StoredMember, StoredResource } from './store.ts';

export interface DocumentOptions {
  /** Absolute URL of the SCIM root, e.g. `https://scim.example.com/scim/v2`; a trailing slash is ignored. */
  baseUrl: string;
  /** Group members; omitted from the document when undefined (not read). */
  members?: StoredMember[];
  /** Groups a User belongs to; omitted from the document when undefined (not read). */
  groups?: { id: string; displayName: string }[];
}

export function buildResourceDocument(
  type: ResourceTypeName,
  stored: StoredResource,
  options: DocumentOptions,
): Record<string, unknown> {
  const schemas = [resourceType(type).schema];
  if (type === 'User' && hasValue(stored.attributes[ENTERPRISE_USER_SCHEMA])) schemas.push(ENTERPRISE_USER_SCHEMA);

  const doc: Record<string, unknown> = { schemas, id: stored.id };
  const { externalId, ...rest } = stored.attributes;
  if (hasValue(externalId)) doc.externalId = externalId;
  for (const [name, value] of Object.entries(rest)) {
    const cleaned = withoutNulls(value);
    if (hasValue(cleaned)) doc[name] = cleaned;
  }
  if (type === 'Group' && options.members) {
    doc.members = options.members.map((member) => memberDocument(options.baseUrl, member));
  }
  if (type === 'User' && options.groups) {
    doc.groups = options.groups.map((group) => ({
      value: group.id,
      $ref: resourceLocation(options.baseUrl, 'Group', group.id),
      display: group.displayName,
      type: 'direct',
    }));
  }
  doc.meta = {
    resourceType: type,
    created: stored.created,
    lastModified: stored.lastModified,
    location: resourceLocation(options.baseUrl, type, stored.id),
    version: toETag(stored.version),
  };
  return doc;
}

export function resourceLocation(baseUrl: string, type: ResourceTypeName, id: string): string {
  return `${baseUrl.replace(/\/+$/, '')}${resourceType(type).endpoint}/${encodeURIComponent(id)}`;
}

export function toETag(version: string): string {
  return `W/"${version}"`;
}

/**
 * The versions named by an `If-Match` header: `W/"v"`, `"v"` or a bare `v`, comma-separated. `*` (any version)
 * yields undefined, as does an absent or blank header.
 */
export function versionsFromIfMatch(header: string | undefined): string[] | undefined {
  if (!header?.trim()) return undefined;
  const versions: string[] = [];
  for (const part of header.split(',')) {
    const tag = part.trim();
    if (tag === '*') return undefined;
    const match = /^(?:W\/)?"(.*)"$/i.exec(tag);
    versions.push(match ? match[1]! : tag);
  }
  return versions;
}

function memberDocument(baseUrl: string, member: StoredMember): Record<string, unknown> {
  const type = member.type ?? 'User';
  return { value: member.value, $ref: resourceLocation(baseUrl, type, member.value), type };
}

function hasValue(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'object' && !Array.isArray(value)) return Object.keys(value).length > 0;
  return true;
}

function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((item) => item !== null).map(withoutNulls);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (child !== null && child !== undefined) out[key] = withoutNulls(child);
  }
  return out;
}
