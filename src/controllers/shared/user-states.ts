import { labels } from '../../api/labels.ts';
import type { ScimUser } from '../../api/scim-user.ts';

/** ScimUsers by state, for the users gauge: suspended (the administrator's label) wins over inactive. */
export function userStates(users: readonly ScimUser[]): { active: number; inactive: number; suspended: number } {
  const counts = { active: 0, inactive: 0, suspended: 0 };
  for (const u of users) {
    if (u.metadata.labels?.[labels.suspended] === 'true') counts.suspended++;
    else if (u.spec.active === false) counts.inactive++;
    else counts.active++;
  }
  return counts;
}
