import { isDeepStrictEqual } from 'node:util';
import type { AccessMappingStatus } from '../../api/access-mapping.ts';

/**
 * Whether two statuses of a mapping differ only in how many subjects its bindings name (`subjectCount`, each listed
 * binding's `subjectCount`, the Ready message that quotes them), pure. Such a change is informational: the bindings
 * themselves carry the access and are written at once, so this status may be written coalesced (reconcile.ts).
 * False when there is no previous status, or when anything else differs (a condition's status or reason, a
 * binding added or removed, a failure, the generation).
 */
export function isCountOnlyChange(previous: AccessMappingStatus | undefined, next: AccessMappingStatus): boolean {
  if (!previous || isDeepStrictEqual(plain(previous), plain(next))) return false;
  return isDeepStrictEqual(withoutCounts(previous), withoutCounts(next));
}

function withoutCounts(status: AccessMappingStatus): unknown {
  const { subjectCount: _count, bindings, conditions, ...rest } = plain(status) as AccessMappingStatus;
  return {
    ...rest,
    bindings: bindings?.map(({ subjectCount: _subjects, ...binding }) => binding),
    conditions: conditions?.map(({ message: _message, ...condition }) => condition),
  };
}

/** JSON round trip: drops undefined values, as the API server would. */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}
