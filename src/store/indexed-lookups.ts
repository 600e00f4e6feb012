import { labels } from '../api/labels.ts';
import type { ResourceTypeName } from '../scim/schemas.ts';
import type { StoreContext } from '../scim/store.ts';
import { type LookupAttribute, lookupKey, lookupKeys } from './lookup-index.ts';
import { displayNameHash, indexHash, type ScimObject, userNameHash } from './resource-mapping.ts';
import type { StoreCache } from './store-cache.ts';
import { uniqueAttribute } from './uniqueness-claims.ts';

/** Beyond this many candidates one label-selector list is cheaper than a GET each. */
const MAX_CONFIRMED_CANDIDATES = 8;

export interface IndexedLookupsDeps {
  cache: Pick<StoreCache, 'candidates'>;
  /** A live read of a resource of this connection; undefined when absent or another connection's. */
  readOwned: (ctx: StoreContext, type: ResourceTypeName, id: string) => Promise<ScimObject | undefined>;
  /** A consistent label-selector list of this connection's resources. */
  list: (ctx: StoreContext, type: ResourceTypeName, selector: string) => Promise<ScimObject[]>;
  /** The id holding a unique value according to its uniqueness claim (ADR 0005); undefined when unclaimed. */
  ownerOf: (ctx: StoreContext, type: ResourceTypeName, value: string) => Promise<string | undefined>;
}

/**
 * `eq` lookups on userName, externalId, a user's emails and a group's displayName, answered by live reads so that
 * they see every write that has resolved, on any replica (store contract rule 1; docs/adr/0019):
 * - the informer cache proposes the objects holding the value, and each is read live by name and kept only if it
 *   still holds it. A stale cache can therefore cost a miss or a rejected candidate, never a wrong object. One
 *   request for the usual single candidate.
 * - On a miss (nothing proposed, or nothing confirmed), a unique attribute (userName, group displayName) asks its
 *   uniqueness claim: absent is one request, present is a second read of its owner. Every resource is claimed before
 *   it exists, so no claim means no resource.
 * - A miss on externalId or email falls back to the label-selector list on the hashed index label (consistent, but
 *   the API server scans every object of the kind to answer it).
 * A confirmed hit on a non-unique attribute is complete only up to the informer's latency: a second object given the
 * same externalId or email through another replica a moment ago may be missing until the watch delivers it.
 */
export class IndexedLookups {
  private readonly deps: IndexedLookupsDeps;

  constructor(deps: IndexedLookupsDeps) {
    this.deps = deps;
  }

  async find(ctx: StoreContext, type: ResourceTypeName, attribute: LookupAttribute, value: string) {
    const candidates = this.deps.cache.candidates(type, attribute, value, ctx.connection);
    if (candidates.length > 0 && candidates.length <= MAX_CONFIRMED_CANDIDATES) {
      const live = await Promise.all(candidates.map((id) => this.deps.readOwned(ctx, type, id)));
      const confirmed = live.filter(
        (obj): obj is ScimObject => obj !== undefined && holds(type, obj, attribute, value),
      );
      if (confirmed.length > 0) return confirmed;
    }
    if (attribute === uniqueAttribute(type)) return this.byClaim(ctx, type, attribute, value);
    return this.deps.list(ctx, type, indexSelector(type, attribute, value));
  }

  private async byClaim(ctx: StoreContext, type: ResourceTypeName, attribute: LookupAttribute, value: string) {
    const owner = await this.deps.ownerOf(ctx, type, value);
    if (owner === undefined) return [];
    const obj = await this.deps.readOwned(ctx, type, owner);
    // A claim can outlive a rename or delete of its owner until it is released: the owner must still hold the value.
    return obj && holds(type, obj, attribute, value) ? [obj] : [];
  }
}

function holds(type: ResourceTypeName, obj: ScimObject, attribute: LookupAttribute, value: string): boolean {
  const key = lookupKey(attribute, value);
  return lookupKeys(type, obj).some(([a, k]) => a === attribute && k === key);
}

/**
 * The index label selecting `value`. Only a user's main email (type work, else primary, else first) is labelled, so
 * the list finds other addresses only through the cache's candidates.
 */
function indexSelector(type: ResourceTypeName, attribute: LookupAttribute, value: string): string {
  switch (attribute) {
    case 'userName':
      return `${labels.userNameHash}=${userNameHash(value)}`;
    case 'displayName':
      return `${labels.displayNameHash}=${displayNameHash(value)}`;
    case 'externalId':
      return `${labels.externalIdHash}=${indexHash(value)}`;
    case 'emails.value':
      return type === 'User' ? `${labels.emailHash}=${indexHash(value.toLowerCase())}` : '';
  }
}
