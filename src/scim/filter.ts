/**
 * The SCIM filter AST (RFC 7644 section 3.4.2.2), shared by the parser (`filter-parser.ts`), the evaluator
 * (`filter-evaluator.ts`) and the query planner (`filter-planner.ts`).
 */

import type { AttributePath } from './attribute-path.ts';

export type CompareOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';
export type FilterValue = string | number | boolean | null;

/**
 * A parsed filter. Paths inside a `valuePath` filter are relative to one element of the outer attribute: `type` in
 * `emails[type eq "work"]`. A value path followed by a sub-attribute, `emails[type eq "work"].value eq "x"`, becomes a
 * `valuePath` whose filter is `type eq "work" and value eq "x"`: both must hold for the same element, which is what
 * the RFC means by it.
 */
export type Filter =
  | { op: 'and' | 'or'; left: Filter; right: Filter }
  | { op: 'not'; filter: Filter }
  | { op: 'pr'; path: AttributePath }
  | { op: CompareOp; path: AttributePath; value: FilterValue }
  | { op: 'valuePath'; path: AttributePath; filter: Filter };
