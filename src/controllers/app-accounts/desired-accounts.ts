import { createHash } from 'node:crypto';
import type { AccessMapping } from '../../api/access-mapping.ts';
import type { AttributeMapping, DownstreamAppSpec } from '../../api/downstream-app.ts';
import type { ScimGroup } from '../../api/scim-group.ts';
import type { ScimUser } from '../../api/scim-user.ts';
import type { PatchOperation, RemoteResource } from '../../downstream/scim-client.ts';
import { inConnection, mappingPhase, namesUser } from '../selection/selection.ts';

/** The attributes an account should have: SCIM attribute path -> value. `active` is always there. */
export type AccountAttributes = Record<string, string | boolean>;

export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
/** Multi-valued targets: a string is sent as a single primary value. */
const MULTI_VALUED: Record<string, string | undefined> = {
  emails: 'work',
  phoneNumbers: 'work',
  roles: undefined,
  entitlements: undefined,
};

export const defaultAttributes: AttributeMapping[] = [
  { path: 'userName', from: 'userName' },
  { path: 'externalId', from: 'externalId' },
  { path: 'displayName', from: 'displayName' },
  { path: 'name.givenName', from: 'name.givenName' },
  { path: 'name.familyName', from: 'name.familyName' },
  { path: 'emails', from: 'email' },
];

export interface Assignments {
  /** App name -> per-assignment attributes, for the apps active mappings assign the user to. */
  assigned: Map<string, Record<string, string>>;
  /**
   * Apps that a suspended mapping of the user's connection names and no active mapping assigns: frozen, so the
   * user's account there (or the lack of one) stays as it is.
   */
  frozen: Set<string>;
}

/**
 * The apps the user is assigned to through AccessMappings, whatever the user's state (`mayHold` decides whether the
 * accounts are active). A mapping assigns its apps to the users it names (selection.ts `namesUser`) while it is
 * `Active`; expired or deleted ones assign nothing; a suspended one freezes its apps for every user of its connection
 * (nothing granted, nothing revoked), as it freezes its RoleBindings. Several mappings assigning one app merge their
 * attributes; the mapping whose name sorts first wins a key both set.
 */
export function assignedApps(
  user: ScimUser,
  mappings: readonly AccessMapping[],
  groupsOfUser: readonly ScimGroup[],
  now: Date,
): Assignments {
  const assigned = new Map<string, Record<string, string>>();
  const frozen = new Set<string>();
  const sorted = [...mappings].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  for (const mapping of sorted) {
    if (!mapping.spec.apps?.length) continue;
    const phase = mappingPhase(mapping, now);
    if (phase === 'Suspended' && inConnection(user, mapping.spec.connection))
      for (const app of mapping.spec.apps) frozen.add(app.name);
    if (phase !== 'Active' || !namesUser(mapping, user, groupsOfUser)) continue;
    for (const app of mapping.spec.apps) {
      const merged = { ...(app.attributes ?? {}), ...(assigned.get(app.name) ?? {}) };
      assigned.set(app.name, merged);
    }
  }
  for (const app of assigned.keys()) frozen.delete(app);
  return { assigned, frozen };
}

/** Reads a ScimUser attribute by the names templates use: `email`, `phoneNumber`, dotted paths, enterprise ones. */
export function userAttribute(user: ScimUser, path: string): string | undefined {
  const spec = user.spec as Record<string, unknown>;
  if (path === 'id') return user.metadata.name;
  if (path === 'email' || path === 'phoneNumber') {
    const list = (path === 'email' ? user.spec.emails : user.spec.phoneNumbers) ?? [];
    return (list.find((e) => e.primary) ?? list.find((e) => e.type === 'work') ?? list[0])?.value;
  }
  const enterprise = path.startsWith(`${ENTERPRISE}:`) ? path.slice(ENTERPRISE.length + 1) : undefined;
  let value: unknown = enterprise !== undefined ? user.spec.enterprise : spec;
  for (const part of (enterprise ?? path).split('.')) {
    value = value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
  }
  if (value === undefined && !enterprise && !path.includes('.')) value = user.spec.enterprise?.[path as 'department'];
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
}

export function renderTemplate(template: string, user: ScimUser, assignment: Record<string, string>): string {
  return template.replace(/\{\{\s*([\w.:-]+)\s*\}\}/g, (_, key: string) =>
    key.startsWith('assignment.') ? (assignment[key.slice(11)] ?? '') : (userAttribute(user, key) ?? ''),
  );
}

/** The attributes to send for one account. Empty values are left out; `userName` falls back to the user's. */
export function accountAttributes(
  user: ScimUser,
  spec: Pick<DownstreamAppSpec, 'attributes'>,
  assignment: Record<string, string>,
  active: boolean,
): AccountAttributes {
  const out: AccountAttributes = {};
  for (const mapping of spec.attributes ?? defaultAttributes) {
    const value =
      mapping.value ??
      (mapping.template !== undefined
        ? renderTemplate(mapping.template, user, assignment)
        : userAttribute(user, mapping.from ?? ''));
    if (value !== undefined && value !== '') out[mapping.path] = value;
  }
  out.userName ??= user.spec.userName;
  out.active = active;
  return out;
}

export function attributesHash(attributes: AccountAttributes): string {
  const sorted = Object.keys(attributes)
    .sort()
    .map((k) => [k, attributes[k]]);
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex').slice(0, 16);
}

/** The filter that finds an existing account: attribute path and value, or undefined when the user lacks it. */
export function matchFilter(
  matchAttribute: DownstreamAppSpec['matchAttribute'],
  attributes: AccountAttributes,
): { attribute: string; value: string } | undefined {
  const key = matchAttribute === 'email' ? 'emails' : matchAttribute;
  const value = attributes[key];
  if (typeof value !== 'string') return undefined;
  return { attribute: matchAttribute === 'email' ? 'emails.value' : matchAttribute, value };
}

function valueFor(path: string, value: string | boolean): unknown {
  if (path in MULTI_VALUED) {
    const type = MULTI_VALUED[path];
    return [{ value, primary: true, ...(type ? { type } : {}) }];
  }
  return value;
}

/** A SCIM User document with the attributes. */
export function userDocument(attributes: AccountAttributes): Record<string, unknown> {
  const schemas = [USER_SCHEMA];
  const doc: Record<string, unknown> = { schemas };
  for (const [path, value] of Object.entries(attributes)) {
    if (path.startsWith(`${ENTERPRISE}:`)) {
      if (!schemas.includes(ENTERPRISE)) schemas.push(ENTERPRISE);
      const ext = (doc[ENTERPRISE] ?? {}) as Record<string, unknown>;
      ext[path.slice(ENTERPRISE.length + 1)] = value;
      doc[ENTERPRISE] = ext;
      continue;
    }
    const [head, sub] = path.split('.', 2) as [string, string | undefined];
    if (sub === undefined) doc[head] = valueFor(head, value);
    else doc[head] = { ...((doc[head] ?? {}) as Record<string, unknown>), [sub]: value };
  }
  return doc;
}

/** The value the remote account holds at `path`, read the way `userDocument` writes it. */
export function remoteValue(remote: RemoteResource, path: string): string | boolean | undefined {
  let value: unknown;
  if (path.startsWith(`${ENTERPRISE}:`)) {
    value = (remote[ENTERPRISE] as Record<string, unknown> | undefined)?.[path.slice(ENTERPRISE.length + 1)];
  } else {
    const [head, sub] = path.split('.', 2) as [string, string | undefined];
    value = remote[head];
    if (sub !== undefined) value = (value as Record<string, unknown> | undefined)?.[sub];
    else if (head in MULTI_VALUED && Array.isArray(value)) {
      const list = value as { value?: unknown; primary?: boolean }[];
      value = (list.find((v) => v.primary) ?? list[0])?.value;
    }
  }
  if (path === 'active' && value === undefined) return true;
  return typeof value === 'string' || typeof value === 'boolean' ? value : undefined;
}

/** PATCH operations for the attributes whose remote value differs; none when the account already matches. */
export function attributePatch(attributes: AccountAttributes, remote: RemoteResource): PatchOperation[] {
  const ops: PatchOperation[] = [];
  for (const [path, value] of Object.entries(attributes)) {
    const current = remoteValue(remote, path);
    const same =
      typeof value === 'string' && typeof current === 'string' && path === 'userName'
        ? value.toLowerCase() === current.toLowerCase()
        : value === current;
    if (!same) ops.push({ op: 'replace', path, value: valueFor(path, value) });
  }
  return ops;
}
