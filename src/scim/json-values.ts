/** Helpers on untrusted JSON values, shared by the normaliser, the PATCH engine, the filter evaluator and projection. */

/** A JSON object: not null, not an array. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A boolean, or a string spelling one in any case (Entra sends `"True"`/`"False"` for `active` when its
 * aadOptscim062020 flag is off); undefined for anything else.
 */
export function parseBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'string') return undefined;
  const lower = value.toLowerCase();
  return lower === 'true' ? true : lower === 'false' ? false : undefined;
}

/** The object under `key`, created empty when absent. */
export function objectAt(container: Record<string, unknown>, key: string): Record<string, unknown> {
  const existing = container[key];
  if (isPlainObject(existing)) return existing;
  const created: Record<string, unknown> = {};
  container[key] = created;
  return created;
}
