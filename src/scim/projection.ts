/**
 * Attribute projection of outgoing resources: RFC 7643 `returned` and RFC 7644 section 3.4.2.5 (`attributes`,
 * `excludedAttributes`). Names are matched case-insensitively, with or without their schema URN; a bare name that is
 * not in the core schema is looked up in the resource's extensions. Unknown names are ignored rather than rejected,
 * since the RFC gives them no error. `schemas`, `id` and `meta.resourceType` are always returned.
 */

import { invalidValue } from './errors.ts';
import { isPlainObject } from './json-values.ts';
import {
  type AttributeDefinition,
  commonAttributes,
  limits,
  type ResourceTypeName,
  type Returned,
  resourceType,
  schemaById,
} from './schemas.ts';

export interface ProjectionOptions {
  attributes?: string[];
  excludedAttributes?: string[];
}

interface Node {
  name: string;
  returned: Returned;
  children?: Node[];
}

/** A set of requested paths: `whole` selects an attribute with all its sub-attributes. */
type Selection = Map<string, Selection | 'whole'>;

/**
 * Throws `invalidValue` when `attributes` or `excludedAttributes` lists more than `limits.maxProjectionAttributes`
 * names: projection runs once per returned resource, so its cost is bounded before a listing starts.
 */
export function assertProjectionWithinLimits(options: ProjectionOptions = {}): void {
  for (const [parameter, names] of [
    ['attributes', options.attributes],
    ['excludedAttributes', options.excludedAttributes],
  ] as const) {
    if (names && names.length > limits.maxProjectionAttributes) {
      throw invalidValue(
        `'${parameter}' lists ${names.length} names; at most ${limits.maxProjectionAttributes} (maxProjectionAttributes) are accepted`,
      );
    }
  }
}

export function project(
  doc: Record<string, unknown>,
  type: ResourceTypeName,
  options: ProjectionOptions = {},
): Record<string, unknown> {
  const root = rootNodes(type);
  const include = options.attributes?.length ? toSelection(type, options.attributes) : undefined;
  const exclude = options.excludedAttributes?.length ? toSelection(type, options.excludedAttributes) : undefined;
  return selectObject(doc, root, include, exclude);
}

/**
 * Whether a top-level attribute (or an extension URN) would appear in the projected document. Lets callers skip
 * expensive reads, such as the members of a large Group under `excludedAttributes=members`.
 */
export function isReturned(type: ResourceTypeName, attribute: string, options: ProjectionOptions = {}): boolean {
  const root = rootNodes(type);
  const node = findNode(root, attribute);
  if (!node || node.returned === 'never') return false;
  if (node.returned === 'always') return true;
  const key = node.name.toLowerCase();
  if (options.attributes?.length) {
    if (!toSelection(type, options.attributes).has(key)) return false;
  } else if (node.returned === 'request') {
    return false;
  }
  return !options.excludedAttributes?.length || toSelection(type, options.excludedAttributes).get(key) !== 'whole';
}

const nodeCache = new Map<ResourceTypeName, Node[]>();

function rootNodes(type: ResourceTypeName): Node[] {
  const cached = nodeCache.get(type);
  if (cached) return cached;
  const definition = resourceType(type);
  const core = schemaById(definition.schema)?.attributes ?? [];
  const extensions = definition.schemaExtensions.map(({ schema }): Node => {
    return { name: schema, returned: 'default', children: (schemaById(schema)?.attributes ?? []).map(toNode) };
  });
  const nodes: Node[] = [
    { name: 'schemas', returned: 'always' },
    ...commonAttributes.map(toNode).map(alwaysReturnResourceType),
    ...core.map(toNode),
    ...extensions,
  ];
  nodeCache.set(type, nodes);
  return nodes;
}

function toNode(definition: AttributeDefinition): Node {
  const node: Node = { name: definition.name, returned: definition.returned };
  if (definition.subAttributes) node.children = definition.subAttributes.map(toNode);
  return node;
}

/** Clients identify a resource's kind by `meta.resourceType`, so it survives any projection. */
function alwaysReturnResourceType(node: Node): Node {
  if (node.name !== 'meta' || !node.children) return node;
  const children = node.children.map((child): Node => {
    return child.name === 'resourceType' ? { ...child, returned: 'always' } : child;
  });
  return { ...node, children };
}

/** Lower-cased name → node, per list of nodes: documents are projected key by key, a page at a time. */
const nodeIndexes = new WeakMap<Node[], Map<string, Node>>();

function findNode(nodes: Node[] | undefined, name: string): Node | undefined {
  if (!nodes) return undefined;
  let index = nodeIndexes.get(nodes);
  if (!index) {
    index = new Map(nodes.map((node) => [node.name.toLowerCase(), node]));
    nodeIndexes.set(nodes, index);
  }
  return index.get(name) ?? index.get(name.toLowerCase());
}

/** Selections per `attributes` list: a listing projects every resource with the same one. */
const selections: Record<ResourceTypeName, WeakMap<string[], Selection>> = {
  User: new WeakMap(),
  Group: new WeakMap(),
};

function toSelection(type: ResourceTypeName, paths: string[]): Selection {
  const cached = selections[type].get(paths);
  if (cached) return cached;
  const selection: Selection = new Map();
  for (const path of paths) {
    const names = resolvePath(type, path.trim());
    if (names) addPath(selection, names);
  }
  selections[type].set(paths, selection);
  return selection;
}

function addPath(selection: Selection, names: string[]): void {
  const [first, ...rest] = names;
  if (first === undefined) return;
  const current = selection.get(first);
  if (current === 'whole') return;
  if (rest.length === 0) {
    selection.set(first, 'whole');
    return;
  }
  const child = current ?? new Map();
  selection.set(first, child);
  addPath(child, rest);
}

/** The lower-cased canonical names along `path`, or undefined when it names nothing this resource type has. */
function resolvePath(type: ResourceTypeName, path: string): string[] | undefined {
  const root = rootNodes(type);
  const lower = path.toLowerCase();
  const urns = root.filter((node) => node.children && node.name.startsWith('urn:'));
  for (const extension of urns) {
    const urn = extension.name.toLowerCase();
    if (lower === urn) return [urn];
    if (lower.startsWith(`${urn}:`)) return walk(extension.children, path.slice(urn.length + 1), [urn]);
  }
  const coreSchema = resourceType(type).schema.toLowerCase();
  if (lower.startsWith(`${coreSchema}:`)) return walk(root, path.slice(coreSchema.length + 1), []);
  const inCore = walk(root, path, []);
  if (inCore) return inCore;
  for (const extension of urns) {
    const found = walk(extension.children, path, [extension.name.toLowerCase()]);
    if (found) return found;
  }
  return undefined;
}

function walk(nodes: Node[] | undefined, dotted: string, prefix: string[]): string[] | undefined {
  const names = [...prefix];
  let level = nodes;
  for (const part of dotted.split('.')) {
    const node = findNode(level, part);
    if (!node) return undefined;
    names.push(node.name.toLowerCase());
    level = node.children;
  }
  return names;
}

/**
 * `include` undefined means no `attributes` parameter applies at this level (default rules); an empty selection
 * means only `always` attributes are wanted here.
 */
function selectObject(
  value: Record<string, unknown>,
  nodes: Node[] | undefined,
  include: Selection | undefined,
  exclude: Selection | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const selected = selectAttribute(key, child, findNode(nodes, key), include, exclude);
    if (selected !== undefined) out[key] = selected;
  }
  return out;
}

function selectAttribute(
  key: string,
  value: unknown,
  node: Node | undefined,
  include: Selection | undefined,
  exclude: Selection | undefined,
): unknown {
  const returned = node?.returned ?? 'default';
  if (returned === 'never') return undefined;
  if (returned === 'always') return value;
  const lower = key.toLowerCase();
  const included = include?.get(lower);
  const excluded = exclude?.get(lower);
  if ((include && included === undefined) || excluded === 'whole') {
    return node?.children ? withoutEmpty(selectChildren(value, node.children, new Map(), undefined)) : undefined;
  }
  if (returned === 'request' && included === undefined) return undefined;
  if (!node?.children) return value;
  return selectChildren(value, node.children, included === 'whole' ? undefined : included, excluded);
}

function selectChildren(
  value: unknown,
  children: Node[],
  include: Selection | undefined,
  exclude: Selection | undefined,
): unknown {
  if (Array.isArray(value)) {
    return value.map((item) => (isPlainObject(item) ? selectObject(item, children, include, exclude) : item));
  }
  return isPlainObject(value) ? selectObject(value, children, include, exclude) : value;
}

function withoutEmpty(value: unknown): unknown {
  if (Array.isArray(value)) {
    const kept = value.filter((item) => !isPlainObject(item) || Object.keys(item).length > 0);
    return kept.length ? kept : undefined;
  }
  if (isPlainObject(value)) return Object.keys(value).length ? value : undefined;
  return value;
}
