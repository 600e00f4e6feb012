import { load } from 'js-yaml';
import { annotations } from '../../api/labels.ts';

/**
 * Which DownstreamApps may use which key of a credentials Secret, from its `scim-operator.dev/allowed-apps`
 * annotation: YAML or JSON mapping each key to app names (`{token: [crm, wiki]}`, or `token: crm` for one).
 * No annotation, a key not listed, or an annotation that does not parse grants nothing: the Secret's
 * manager decides, never the author of a DownstreamApp, who can otherwise name any key and any URL.
 */
export function grantedApps(secret: { metadata?: { annotations?: Record<string, string> } } | undefined, key: string) {
  const text = secret?.metadata?.annotations?.[annotations.allowedApps];
  if (!text) return new Set<string>();
  let parsed: unknown;
  try {
    parsed = load(text);
  } catch {
    return new Set<string>();
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return new Set<string>();
  const value = (parsed as Record<string, unknown>)[key];
  const apps = typeof value === 'string' ? [value] : Array.isArray(value) ? value : [];
  return new Set(apps.filter((a): a is string => typeof a === 'string').map((a) => a.trim()));
}
