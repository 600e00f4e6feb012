/** A stored resource as the SCIM service answers it: its document, projected, with its ETag and location. */

import type { ProjectionOptions } from './projection.ts';
import { isReturned, project } from './projection.ts';
import { buildResourceDocument, resourceLocation, toETag } from './resource-document.ts';
import type { ResourceTypeName } from './schemas.ts';
import type { ScimStore, StoreContext, StoredMember, StoredResource } from './store.ts';

/** A single-resource answer. `document` is absent when the answer is 204 No Content. */
export interface ResourceAnswer {
  document?: Record<string, unknown>;
  /** `meta.version`, for the ETag header. */
  etag: string;
  location: string;
}

export type DocumentAnswer = ResourceAnswer & { document: Record<string, unknown> };

/** What building an answer needs: the store, for members and groups, and the SCIM root URL. */
export interface AnswerDeps {
  store: ScimStore;
  /** Absolute URL of the SCIM root, for `meta.location` and `$ref`. */
  baseUrl: string;
}

/** The document of `stored`, reading members or groups only when the projection will return them. */
export async function answer(
  deps: AnswerDeps,
  ctx: StoreContext,
  type: ResourceTypeName,
  stored: StoredResource,
  projection: ProjectionOptions = {},
  known: { members?: StoredMember[] } = {},
): Promise<DocumentAnswer> {
  const { store, baseUrl } = deps;
  let members = known.members;
  if (type === 'Group' && !members && isReturned(type, 'members', projection)) {
    members = await store.getMembers(ctx, stored.id);
  }
  const groups =
    type === 'User' && isReturned(type, 'groups', projection) ? await store.groupsOf(ctx, stored.id) : undefined;
  const document = buildResourceDocument(type, stored, { baseUrl, members, groups });
  return {
    document: project(document, type, projection),
    etag: toETag(stored.version),
    location: resourceLocation(baseUrl, type, stored.id),
  };
}
