/**
 * RFC 9110 Retry-After: delay-seconds or an HTTP-date. Returns milliseconds from `now`, clamped to [0, maxMs], or
 * undefined when the header is absent or malformed.
 */
export function parseRetryAfter(
  value: string | undefined | null,
  now: number,
  maxMs = 10 * 60_000,
): number | undefined {
  if (value === undefined || value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, maxMs);
  const date = Date.parse(text);
  if (!Number.isFinite(date)) return undefined;
  return Math.min(Math.max(0, date - now), maxMs);
}
