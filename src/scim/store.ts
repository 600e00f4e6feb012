/**
 * The storage contract of the SCIM layer. The SCIM service is its only caller (`operations.ts` and the parts it
 * composes: `list-resources.ts`, `resource-answer.ts`, `group-members.ts`); `src/store/` implements it on
 * Kubernetes custom resources and in memory. The rules below are the contract, and `test/contract/` runs each of
 * them as a test against every implementation.
 *
 * 1. Read-your-writes: once a write has resolved, every later `get`, `getMembers`, and `query` with an `eq` plan on
 *    `id`, `userName`, `externalId`, `displayName` or a user's main email (`emails.value`: type work, else primary,
 *    else first) reflects it, on this instance and on every other instance on the same backend. Other queries (plan
 *    `all`, another email) and `groupsOf` reflect this instance's writes at once and other instances' writes within
 *    the backend's change-notification latency (docs/adr/0006).
 *    IdPs match with `eq` filters, which is why those are the consistent ones. For the non-unique `externalId` and
 *    email, an answer that already holds a resource with the value may still lack another resource given the same
 *    value through another instance within that latency (docs/adr/0019).
 * 2. `id`s are issued by the store as lowercase UUIDs (`resource-id.ts`; the service answers anything else without
 *    asking the store), DNS-1123 label safe, stable, and never reused.
 * 3. Uniqueness is enforced atomically across instances: `userName` (case-insensitively) for Users and
 *    `displayName` (case-insensitively) for Groups, per connection. A losing write throws `uniqueness` (409).
 * 4. `version` changes with every write that changes the resource, including member changes of a Group, and with
 *    nothing else: a write that leaves the resource as it was, and the backend's own bookkeeping (for Kubernetes:
 *    status, finalizers, labels written by the controllers), leave it alone (docs/adr/0010).
 *    A write given `ifMatch` fails with `preconditionFailed` (412) unless it equals the current version.
 * 5. Connections are isolated: a resource written under one connection is invisible to every other connection
 *    (reads return nothing, writes answer 404).
 * 6. A write either happens wholly or not at all. When the backend is unavailable the store throws
 *    `unavailable` (503), never `notFound`.
 * 7. Member changes of a Group touch a bounded number of stored objects, whatever the group's size; adding a member
 *    that is present and removing one that is absent are no-ops.
 * 8. `query` returns every resource that may match the plan (a superset is allowed; the caller filters again),
 *    in a stable order: by `created`, then `id`.
 */

import type { ResourceTypeName } from './schemas.ts';

/** Who is calling: the connection (IdP integration) named by the bearer token used. */
export interface StoreContext {
  connection: string;
}

/** A member of a Group as stored: `value` is the member's id. */
export interface StoredMember {
  value: string;
  type?: 'User' | 'Group';
}

/**
 * A stored resource. `attributes` holds the SCIM attributes with canonical names, the enterprise extension under
 * its schema URN as key, and without `id`, `meta`, `schemas`, Group `members` and User `groups`.
 */
export interface StoredResource {
  id: string;
  version: string;
  created: string;
  lastModified: string;
  attributes: Record<string, unknown>;
}

/** Index lookups the store can answer cheaply; anything else is `all`. */
export type QueryPlan = { kind: 'all' } | { kind: 'none' } | { kind: 'eq'; attribute: IndexedAttribute; value: string };

export type IndexedAttribute = 'id' | 'userName' | 'externalId' | 'displayName' | 'emails.value';

export interface WriteOptions {
  ifMatch?: string;
}

export interface MemberChange {
  /** Members to add; already present ones are left alone. */
  add?: StoredMember[];
  /** Member ids to remove, or `all` to empty the group; absent ones are ignored. Applied before `add`. */
  remove?: string[] | 'all';
}

export interface ScimStore {
  get(ctx: StoreContext, type: ResourceTypeName, id: string): Promise<StoredResource | undefined>;
  /**
   * Which of `ids` name a resource of `type` in this connection: for checking the members of a large PATCH without
   * one read each. An id the instance has seen may be answered from a cache; any other is checked on the backend.
   */
  existing(ctx: StoreContext, type: ResourceTypeName, ids: string[]): Promise<Set<string>>;
  /** Members of a Group, without duplicates, in a stable order. Throws `notFound` for an unknown group. */
  getMembers(ctx: StoreContext, groupId: string): Promise<StoredMember[]>;
  /** Groups that have `userId` as a direct member (for the readOnly User `groups` attribute). */
  groupsOf(ctx: StoreContext, userId: string): Promise<{ id: string; displayName: string }[]>;
  query(ctx: StoreContext, type: ResourceTypeName, plan: QueryPlan): Promise<StoredResource[]>;
  create(
    ctx: StoreContext,
    type: ResourceTypeName,
    attributes: Record<string, unknown>,
    members?: StoredMember[],
  ): Promise<StoredResource>;
  /** Replaces the attributes (not the members) of a resource. */
  replace(
    ctx: StoreContext,
    type: ResourceTypeName,
    id: string,
    attributes: Record<string, unknown>,
    options?: WriteOptions,
  ): Promise<StoredResource>;
  /** Changes the members of a Group; returns the Group with its new version. */
  changeMembers(
    ctx: StoreContext,
    groupId: string,
    change: MemberChange,
    options?: WriteOptions,
  ): Promise<StoredResource>;
  delete(ctx: StoreContext, type: ResourceTypeName, id: string, options?: WriteOptions): Promise<void>;
}
