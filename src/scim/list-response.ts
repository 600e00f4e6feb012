/**
 * ListResponse and paging (RFC 7644 section 3.4.2.4). `startIndex` is 1-based and a value below 1 means 1; a
 * negative `count` means 0, and `count` is capped at the advertised `maxResults`, which is also its default.
 * Numbers in the response are JSON integers (Okta checks). `Resources` is present even when empty, as in Entra's
 * examples.
 */

export const LIST_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

export interface PageRequest {
  startIndex?: number;
  count?: number;
}

export interface Page {
  startIndex: number;
  count: number;
}

export interface ListResponse<T = Record<string, unknown>> {
  schemas: [typeof LIST_RESPONSE_SCHEMA];
  totalResults: number;
  startIndex: number;
  itemsPerPage: number;
  Resources: T[];
}

export function resolvePage(request: PageRequest, maxResults: number): Page {
  const startIndex = Math.max(1, Math.trunc(request.startIndex ?? 1) || 1);
  const wanted = request.count === undefined ? maxResults : Math.trunc(request.count) || 0;
  return { startIndex, count: Math.min(Math.max(0, wanted), maxResults) };
}

/** The items of `all` on the requested page. */
export function pageOf<T>(all: readonly T[], page: Page): T[] {
  return all.slice(page.startIndex - 1, page.startIndex - 1 + page.count);
}

export function listResponse<T>(resources: T[], totalResults: number, startIndex: number): ListResponse<T> {
  return {
    schemas: [LIST_RESPONSE_SCHEMA],
    totalResults: Math.trunc(totalResults),
    startIndex: Math.trunc(startIndex),
    itemsPerPage: resources.length,
    Resources: resources,
  };
}
