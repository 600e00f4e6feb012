import type { Condition } from '../../api/crd-builder.ts';
import type { DownstreamAppSpec, SecretKeyRef } from '../../api/downstream-app.ts';
import type { AppHealth } from '../../downstream/scim-client.ts';

export type ConditionInput = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;

/** What the app reconcile found out about a DownstreamApp, before any condition is set. */
export interface AppFindings {
  health: AppHealth | undefined;
  /** Why the destination is refused (destination-fence.ts); no request is sent then. */
  refusedDestination?: string;
  missingSecrets: SecretKeyRef[];
  /** Keys the Secret's scim-operator.dev/allowed-apps annotation does not grant to this app. */
  notAllowed: SecretKeyRef[];
  counts: { provisioned: number; failed: number; pending: number };
  pushError: string | undefined;
}

/** The Reachable, Authenticated and Ready conditions of a DownstreamApp. Pure. */
export function appConditions(spec: DownstreamAppSpec, findings: AppFindings): ConditionInput[] {
  const { health, missingSecrets, notAllowed, counts, pushError, refusedDestination } = findings;
  const reachable: ConditionInput = refusedDestination
    ? { type: 'Reachable', status: 'False', reason: 'DestinationRefused', message: refusedDestination }
    : !health
      ? { type: 'Reachable', status: 'Unknown', reason: 'NotContacted', message: 'No request sent yet' }
      : health.reachable
        ? { type: 'Reachable', status: 'True', reason: 'Reachable', message: 'The service answers' }
        : { type: 'Reachable', status: 'False', reason: 'Unreachable', message: health.message };
  const authenticated: ConditionInput =
    notAllowed.length > 0
      ? {
          type: 'Authenticated',
          status: 'False',
          reason: 'CredentialNotAllowed',
          message: notAllowed
            .map(
              (r) =>
                `Secret ${r.name} key ${r.key} is not granted to this app (annotation scim-operator.dev/allowed-apps)`,
            )
            .join('; '),
        }
      : missingSecrets.length > 0
        ? {
            type: 'Authenticated',
            status: 'False',
            reason: 'SecretNotFound',
            message: missingSecrets
              .map((r) => `Secret ${r.name} has no key ${r.key}, or is not in the operator's downstream.secretNames`)
              .join('; '),
          }
        : health?.authenticated === true
          ? { type: 'Authenticated', status: 'True', reason: 'Authenticated', message: 'Credentials accepted' }
          : health?.authenticated === false
            ? { type: 'Authenticated', status: 'False', reason: 'AuthenticationFailed', message: health.message }
            : { type: 'Authenticated', status: 'Unknown', reason: 'NotContacted', message: 'Not verified yet' };
  let ready: ConditionInput;
  if (spec.suspend) ready = { type: 'Ready', status: 'False', reason: 'Suspended', message: 'Nothing is sent' };
  else if (reachable.reason === 'DestinationRefused') ready = { ...reachable, type: 'Ready' };
  else if (reachable.status === 'False' || authenticated.status === 'False')
    ready = {
      type: 'Ready',
      status: 'False',
      reason: authenticated.status === 'False' ? authenticated.reason : 'Unreachable',
      message: authenticated.status === 'False' ? authenticated.message : reachable.message,
    };
  else if (counts.failed > 0)
    ready = {
      type: 'Ready',
      status: 'False',
      reason: 'AccountsFailing',
      message: `${counts.failed} account(s) failed to sync; see ScimUser status.apps`,
    };
  else if (pushError) ready = { type: 'Ready', status: 'False', reason: 'GroupPushFailed', message: pushError };
  else if (spec.dryRun)
    ready = {
      type: 'Ready',
      status: 'True',
      reason: 'DryRun',
      message: `${counts.pending} account change(s) planned, none made`,
    };
  else
    ready = {
      type: 'Ready',
      status: 'True',
      reason: 'Synced',
      message: `${counts.provisioned} account(s) provisioned`,
    };
  return [reachable, authenticated, ready];
}
