import type { AccessMapping } from '../../api/access-mapping.ts';
import type { DownstreamApp } from '../../api/downstream-app.ts';
import { groupsOfReference, mappingPhase } from '../selection/selection.ts';
import type { IdentityCache } from '../shared/identity-cache.ts';
import type { AccountLedger } from './account-ledger.ts';
import type { WantedGroup } from './group-push.ts';

export interface WantedGroups {
  /** Groups named by the active mappings that assign the app, with the remote ids of their provisioned members. */
  wanted: WantedGroup[];
  /** Lower-cased displayNames of the groups suspended mappings name: frozen as pushed. */
  frozen: Set<string>;
}

/** The groups to push to an app (group-push.ts). A member counts once its account is provisioned, not planned. */
export function wantedGroups(
  app: DownstreamApp,
  mappings: readonly AccessMapping[],
  identities: Pick<IdentityCache, 'groupsByDisplayName' | 'groupsByExternalId' | 'membersOf' | 'user'>,
  ledger: Pick<AccountLedger, 'entriesOf'>,
  now: Date,
): WantedGroups {
  const appName = app.metadata.name;
  const wanted = new Map<string, WantedGroup>();
  const frozen = new Set<string>();
  for (const mapping of mappings) {
    if (!mapping.spec.apps?.some((a) => a.name === appName)) continue;
    const phase = mappingPhase(mapping, now);
    if (phase !== 'Active' && phase !== 'Suspended') continue;
    const connection = mapping.spec.connection ?? app.spec.connection;
    for (const ref of mapping.spec.subjects.groups ?? []) {
      for (const group of groupsOfReference(identities, ref, connection)) {
        const key = group.spec.displayName.toLowerCase();
        if (phase === 'Suspended') {
          frozen.add(key);
          continue;
        }
        const members: string[] = [];
        // A member listed by two shards while one splits (docs/adr/0025) is one member.
        for (const id of new Set(identities.membersOf(group.metadata.name))) {
          const user = identities.user(id);
          const entry = user && ledger.entriesOf(user).find((e) => e.app === appName);
          if (entry?.state === 'Provisioned' && entry.remoteId && entry.plan === undefined)
            members.push(entry.remoteId);
        }
        wanted.set(key, { displayName: group.spec.displayName, members });
      }
    }
  }
  return { wanted: [...wanted.values()], frozen };
}
