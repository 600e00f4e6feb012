/**
 * What a resource id looks like. Ids are issued by the store (`store.ts` rule 2) as lowercase RFC 4122 UUIDs, so
 * anything else names no resource and is answered without asking the store: `.` or `..` in a URL or a filter would
 * otherwise reach the Kubernetes API as a path segment and name a collection instead of an object. Upper-case hex is
 * let through (Microsoft's examples print ids so); it names nothing either, but harmlessly.
 */

const RESOURCE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isResourceId(value: unknown): boolean {
  return typeof value === 'string' && RESOURCE_ID.test(value);
}
