/**
 * Checks a real answer of the endpoint against the OpenAPI document: the operation exists, the status is documented,
 * the content type is one the status lists, required headers are present and the body validates against the response
 * schema. JSON Schema validation is zod's `fromJSONSchema`, already a dependency, with the document's components as
 * `$defs`.
 */

import { z } from 'zod';
import type { JsonSchema } from './resource-schemas.ts';

export interface Answer {
  method: string;
  /** The path under the SCIM root, with its query string. */
  path: string;
  status: number;
  headers: Headers;
  body: unknown;
}

export interface OpenApiOperation {
  operationId: string;
  responses: Record<string, JsonSchema>;
}

// biome-ignore lint/suspicious/noExplicitAny: the document is plain JSON read freely here
type Document = any;

export function operationsOf(document: Document): { method: string; template: string; operation: OpenApiOperation }[] {
  return Object.entries(document.paths as Record<string, Record<string, OpenApiOperation>>).flatMap(
    ([template, item]) => Object.entries(item).map(([method, operation]) => ({ method, template, operation })),
  );
}

/** The operation whose path template matches `path` (literal segments case-insensitively, as the router does). */
export function findOperation(document: Document, method: string, path: string): OpenApiOperation | undefined {
  const segments = path.split('?')[0]!.split('/');
  const candidates = operationsOf(document).filter((o) => o.method === method.toLowerCase());
  const matches = (template: string) => {
    const parts = template.split('/');
    return (
      parts.length === segments.length &&
      parts.every((part, i) => /^\{.+\}$/.test(part) || part.toLowerCase() === segments[i]!.toLowerCase())
    );
  };
  // A literal path (`/ResourceTypes`) wins over a template with a parameter in the same place.
  const found = candidates.filter((c) => matches(c.template));
  found.sort((a, b) => a.template.split('{').length - b.template.split('{').length);
  return found[0]?.operation;
}

/** Every way `answer` departs from the document; empty when it conforms. */
export function departures(document: Document, answer: Answer): string[] {
  const where = `${answer.method} ${answer.path} → ${answer.status}`;
  const operation = findOperation(document, answer.method, answer.path);
  if (!operation) return [`${where}: no such operation in the document`];
  const response = operation.responses[String(answer.status)] as Document;
  if (!response) return [`${where}: status not documented for ${operation.operationId}`];

  const problems: string[] = [];
  for (const [name, header] of Object.entries((response.headers ?? {}) as Record<string, Document>)) {
    const resolved = resolve(document, header);
    if (resolved.required && !answer.headers.get(name)) problems.push(`${where}: header ${name} missing`);
  }
  const content = response.content as Record<string, { schema: JsonSchema }> | undefined;
  if (!content) {
    if (answer.body !== undefined) problems.push(`${where}: a body where the document describes none`);
    return problems;
  }
  const mediaType = (answer.headers.get('content-type') ?? '').split(';')[0]!.trim();
  const media = content[mediaType];
  if (!media) return [...problems, `${where}: content type ${mediaType} not among ${Object.keys(content).join(', ')}`];
  const result = validator(document, media.schema).safeParse(answer.body);
  if (!result.success) {
    for (const issue of result.error.issues.slice(0, 5)) {
      problems.push(`${where}: body at ${issue.path.join('.') || '(root)'}: ${issue.message}`);
    }
  }
  return problems;
}

const validators = new WeakMap<object, z.ZodType>();

function validator(document: Document, schema: JsonSchema): z.ZodType {
  let found = validators.get(schema);
  if (!found) {
    const toDefs = (value: unknown) =>
      JSON.parse(JSON.stringify(value).replaceAll('"#/components/schemas/', '"#/$defs/'));
    const root = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $defs: toDefs(document.components.schemas),
    };
    found = z.fromJSONSchema({ ...root, ...toDefs(schema) });
    validators.set(schema, found);
  }
  return found;
}

/** Follows a local `$ref` (one level, as the document uses them). */
export function resolve(document: Document, value: Document): Document {
  if (typeof value?.$ref !== 'string') return value;
  return (value.$ref as string)
    .slice(2)
    .split('/')
    .reduce((node: Document, key: string) => node?.[key], document);
}
