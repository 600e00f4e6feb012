/** Tests on untrusted JSON values shared by the normaliser, the PATCH engine, the filter evaluator and projection. */

/** A JSON object: not null, not an array. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A boolean, or a string spelling one in any case (Entra without aadOptscim062020 sends "True"/"False", research 1.5,
 * T24); undefined for anything else.
 */
export function parseBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'string') return undefined;
  const lower = value.toLowerCase();
  return lower === 'true' ? true : lower === 'false' ? false : undefined;
}
