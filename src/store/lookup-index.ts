import type { ScimGroup } from '../api/scim-group.ts';
import type { ScimUser } from '../api/scim-user.ts';
import type { ResourceTypeName } from '../scim/schemas.ts';
import type { ScimObject } from './resource-mapping.ts';

/** The attributes whose `eq` lookups the index answers with candidates. */
export type LookupAttribute = 'userName' | 'externalId' | 'emails.value' | 'displayName';

export function isLookupAttribute(type: ResourceTypeName, attribute: string): attribute is LookupAttribute {
  if (attribute === 'externalId') return true;
  return type === 'User' ? attribute === 'userName' || attribute === 'emails.value' : attribute === 'displayName';
}

/**
 * The key a value is indexed under: externalId is caseExact, the others compare case-insensitively. An already
 * lowercase value is returned as the same string, so the index holds references into the cached objects rather than
 * copies (the memory of 100,000 users is the point of issue 15).
 */
export function lookupKey(attribute: LookupAttribute, value: string): string {
  if (attribute === 'externalId') return value;
  const lower = value.toLowerCase();
  return lower === value ? value : lower;
}

/** The (attribute, key) pairs an object is found by. */
export function lookupKeys(type: ResourceTypeName, obj: ScimObject): [LookupAttribute, string][] {
  const out: [LookupAttribute, string][] = [];
  const add = (attribute: LookupAttribute, value: unknown) => {
    if (typeof value === 'string') out.push([attribute, lookupKey(attribute, value)]);
  };
  if (type === 'User') {
    const spec = (obj as ScimUser).spec;
    add('userName', spec.userName);
    add('externalId', spec.externalId);
    if (Array.isArray(spec.emails)) for (const email of spec.emails) add('emails.value', email?.value);
  } else {
    const spec = (obj as ScimGroup).spec;
    add('displayName', spec.displayName);
    add('externalId', spec.externalId);
  }
  return out;
}

/**
 * attribute value -> ids of the cached objects holding it, for one kind, maintained from informer events. It only
 * proposes candidates: a reader confirms each by a live read (docs/adr/0019), so an entry left behind by a change the
 * informer has not delivered, or by an update (which arrives without the previous object, so its old values cannot be
 * removed then), costs a rejected candidate, never a wrong answer. `candidates` drops entries the cached object no
 * longer backs.
 */
export class LookupIndex {
  private readonly type: ResourceTypeName;
  private readonly cached: (id: string) => ScimObject | undefined;
  /** One map per attribute; a value held by one object (the usual case) maps to its id, not to an array. */
  private readonly byAttribute = new Map<LookupAttribute, Map<string, string | string[]>>();

  constructor(type: ResourceTypeName, cached: (id: string) => ScimObject | undefined) {
    this.type = type;
    this.cached = cached;
  }

  upsert(obj: ScimObject): void {
    for (const [attribute, key] of lookupKeys(this.type, obj)) this.link(attribute, key, obj.metadata.name);
  }

  remove(obj: ScimObject): void {
    for (const [attribute, key] of lookupKeys(this.type, obj)) this.unlink(attribute, key, obj.metadata.name);
  }

  /** Ids of the cached objects holding `value`; entries whose object is gone or changed are pruned on the way. */
  candidates(attribute: LookupAttribute, value: string): string[] {
    const key = lookupKey(attribute, value);
    const entry = this.byAttribute.get(attribute)?.get(key);
    if (entry === undefined) return [];
    const ids = typeof entry === 'string' ? [entry] : [...entry];
    return ids.filter((id) => {
      const obj = this.cached(id);
      const backed = obj !== undefined && lookupKeys(this.type, obj).some(([a, k]) => a === attribute && k === key);
      if (!backed) this.unlink(attribute, key, id);
      return backed;
    });
  }

  private link(attribute: LookupAttribute, key: string, id: string): void {
    let map = this.byAttribute.get(attribute);
    if (!map) {
      map = new Map();
      this.byAttribute.set(attribute, map);
    }
    const entry = map.get(key);
    if (entry === undefined) map.set(key, id);
    else if (typeof entry === 'string') {
      if (entry !== id) map.set(key, [entry, id]);
    } else if (!entry.includes(id)) entry.push(id);
  }

  private unlink(attribute: LookupAttribute, key: string, id: string): void {
    const map = this.byAttribute.get(attribute);
    const entry = map?.get(key);
    if (!map || entry === undefined) return;
    if (typeof entry === 'string') {
      if (entry === id) map.delete(key);
      return;
    }
    const rest = entry.filter((other) => other !== id);
    if (rest.length === 0) map.delete(key);
    else map.set(key, rest.length === 1 ? rest[0]! : rest);
  }
}
