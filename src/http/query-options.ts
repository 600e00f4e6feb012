/**
 * Strict parsing of the SCIM query parameters (RFC 7644 section 3.4.2): `filter`, `startIndex`, `count`,
 * `attributes`, `excludedAttributes`. Parameter names match case-insensitively; a repeated parameter or a
 * non-integer number is 400 `invalidValue` rather than a guess.
 */

import type { Request } from 'express';
import { invalidValue } from '../scim/errors.ts';
import type { ListQuery } from '../scim/list-resources.ts';
import type { ProjectionOptions } from '../scim/projection.ts';

const INTEGER = /^[+-]?\d{1,15}$/;

export function listQuery(req: Request): ListQuery {
  const query: ListQuery = projectionOptions(req);
  const filter = single(req, 'filter');
  if (filter !== undefined && filter.trim() !== '') query.filter = filter;
  const startIndex = integer(req, 'startIndex');
  if (startIndex !== undefined) query.startIndex = startIndex;
  const count = integer(req, 'count');
  if (count !== undefined) query.count = count;
  return query;
}

export function projectionOptions(req: Request): ProjectionOptions {
  const options: ProjectionOptions = {};
  const attributes = list(req, 'attributes');
  if (attributes.length) options.attributes = attributes;
  const excluded = list(req, 'excludedAttributes');
  if (excluded.length) options.excludedAttributes = excluded;
  return options;
}

function single(req: Request, name: string): string | undefined {
  const lower = name.toLowerCase();
  const values = Object.entries(req.query as Record<string, unknown>)
    .filter(([key]) => key.toLowerCase() === lower)
    .flatMap(([, value]) => (Array.isArray(value) ? value : [value]));
  if (values.length > 1) throw invalidValue(`Query parameter '${name}' is given more than once`);
  const [value] = values;
  if (value !== undefined && typeof value !== 'string') throw invalidValue(`Query parameter '${name}' is malformed`);
  return value;
}

function integer(req: Request, name: string): number | undefined {
  const text = single(req, name)?.trim();
  if (text === undefined || text === '') return undefined;
  if (!INTEGER.test(text)) throw invalidValue(`Query parameter '${name}' must be an integer, got '${text}'`);
  return Number(text);
}

function list(req: Request, name: string): string[] {
  return (single(req, name) ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}
