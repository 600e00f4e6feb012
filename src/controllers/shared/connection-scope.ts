import type { AccessMapping } from '../../api/access-mapping.ts';

/**
 * Which SCIM connections this installation reconciles, and which connection a mapping means. Connections are
 * configuration, not live tokens: deleting a connection's token only stops that IdP from writing; its identities are
 * still reconciled, so suspension, deactivation, deletion and `expiresAt` still revoke what they granted.
 *
 * - `configured` (settings `connections`) non-empty: exactly those.
 * - otherwise: every connection that has a token now or owns ScimUsers/ScimGroups (their connection label).
 */
export function servedConnections(
  configured: readonly string[],
  withTokens: Iterable<string>,
  withObjects: Iterable<string>,
): ReadonlySet<string> {
  if (configured.length > 0) return new Set(configured);
  return new Set([...withTokens, ...withObjects]);
}

export type MappingConnection =
  | { ok: true; connection: string | undefined }
  | { ok: false; reason: 'NotServed' }
  | { ok: false; reason: 'ConnectionRequired'; message: string };

/**
 * The connection whose identities a mapping draws from. A mapping naming a connection this installation does not
 * serve is another installation's (`NotServed`: leave it alone). A mapping naming none means the one served
 * connection; with several it is refused (`ConnectionRequired`) rather than matching them all, so that connection B
 * can never pick up a mapping written with A's users in mind.
 */
export function mappingConnection(mapping: AccessMapping, served: ReadonlySet<string>): MappingConnection {
  const named = mapping.spec.connection;
  if (named) return served.has(named) ? { ok: true, connection: named } : { ok: false, reason: 'NotServed' };
  if (served.size <= 1) return { ok: true, connection: [...served][0] };
  return {
    ok: false,
    reason: 'ConnectionRequired',
    message: `spec.connection is required: this operator serves ${served.size} connections (${[...served].sort().join(', ')})`,
  };
}

/** The mapping with its connection made explicit, or undefined when it is not this installation's to apply. */
export function withExplicitConnection(mapping: AccessMapping, served: ReadonlySet<string>): AccessMapping | undefined {
  const scope = mappingConnection(mapping, served);
  if (!scope.ok) return undefined;
  if (scope.connection === mapping.spec.connection) return mapping;
  return { ...mapping, spec: { ...mapping.spec, connection: scope.connection } };
}
