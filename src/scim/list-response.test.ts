import { describe, expect, it } from 'vitest';
import { LIST_RESPONSE_SCHEMA, listResponse, pageOf, resolvePage } from './list-response.ts';

describe('resolvePage', () => {
  it('defaults to the first page of maxResults items', () => {
    expect(resolvePage({}, 1000)).toEqual({ startIndex: 1, count: 1000 });
  });

  it('treats a startIndex below 1 as 1 and a negative count as 0', () => {
    expect(resolvePage({ startIndex: 0, count: -5 }, 1000)).toEqual({ startIndex: 1, count: 0 });
    expect(resolvePage({ startIndex: -10, count: 10 }, 1000)).toEqual({ startIndex: 1, count: 10 });
  });

  it('caps count at maxResults', () => {
    expect(resolvePage({ startIndex: 3, count: 5000 }, 1000)).toEqual({ startIndex: 3, count: 1000 });
  });
});

describe('pageOf', () => {
  const items = Array.from({ length: 11 }, (_, i) => i + 1);

  it('returns the items from startIndex, 1-based', () => {
    expect(pageOf(items, { startIndex: 6, count: 5 })).toEqual([6, 7, 8, 9, 10]);
    expect(pageOf(items, { startIndex: 11, count: 5 })).toEqual([11]);
    expect(pageOf(items, { startIndex: 12, count: 5 })).toEqual([]);
  });

  it('returns nothing for count 0', () => {
    expect(pageOf(items, { startIndex: 1, count: 0 })).toEqual([]);
  });
});

describe('listResponse', () => {
  it('carries the total, the start index and the page size as integers, and Resources even when empty', () => {
    expect(listResponse([], 0, 1)).toEqual({
      schemas: [LIST_RESPONSE_SCHEMA],
      totalResults: 0,
      startIndex: 1,
      itemsPerPage: 0,
      Resources: [],
    });
    const page = listResponse([{ id: 'a' }, { id: 'b' }], 250, 101);
    expect(page.totalResults).toBe(250);
    expect(page.itemsPerPage).toBe(2);
    expect(page.startIndex).toBe(101);
  });
});
