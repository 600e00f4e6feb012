import { readFile } from 'node:fs/promises';
import { load } from 'js-yaml';
import { z } from 'zod';

/**
 * The operator's configuration file (YAML, mounted from a ConfigMap by the Helm chart): how SCIM identities become
 * Kubernetes subjects, which roles mappings may grant, and controller tuning. Read once at start-up by config.ts's
 * caller; an error names the bad key and the expected form.
 */

export const settingsSchema = z
  .object({
    subjects: z
      .object({
        mode: z
          .enum(['User', 'Group'])
          .default('User')
          .describe('User: bind each member as a User subject. Group: bind each SCIM group as a Group subject.'),
        userAttribute: z
          .enum(['userName', 'email', 'workEmail', 'externalId', 'id'])
          .default('userName')
          .describe(
            'ScimUser attribute that is the Kubernetes user name; email = primary email, workEmail = type work.',
          ),
        userPrefix: z.string().max(64).default('').describe('Prefix the authenticator adds, e.g. "oidc:".'),
        lowercase: z.boolean().default(false).describe('Lowercase the user name, for authenticators that do.'),
        groupAttribute: z.enum(['displayName', 'externalId']).default('displayName'),
        groupPrefix: z.string().max(64).default('').describe('Prefix of group names in Group mode, e.g. "oidc:".'),
      })
      .strict()
      .prefault({}),
    bindings: z
      .object({
        maxSubjectsPerBinding: z
          .int()
          .min(1)
          .max(10_000)
          .default(1000)
          .describe('Larger subject lists are split over several bindings, keeping each object small.'),
        protectedNamespaces: z
          .array(z.string().min(1).max(63))
          .max(256)
          .default(['kube-system', 'kube-public', 'kube-node-lease'])
          .describe(
            "Namespaces no mapping binds into, whatever its list or selector says. The operator's own namespace is always protected.",
          ),
      })
      .strict()
      .prefault({}),
    roles: z
      .object({
        allowedClusterRoles: z
          .array(z.string().min(1))
          .default(['view', 'edit'])
          .describe(
            'ClusterRoles mappings may grant in namespaces. The operator holds bind on these and allowClusterRoleBindings.',
          ),
        allowedRoles: z.array(z.string().min(1)).default([]).describe('Namespaced Role names mappings may grant.'),
        allowClusterRoleBindings: z
          .array(z.string().min(1))
          .default(['view'])
          .describe(
            'ClusterRoles mappings may bind cluster-wide: a separate allowlist, so a role allowed in namespaces is never cluster-wide by accident.',
          ),
      })
      .strict()
      .prefault({}),
    connections: z
      .array(z.string().min(1).max(63))
      .max(256)
      .default([])
      .describe(
        'The SCIM connections this installation reconciles and revokes, whether or not a token exists for them. Empty: every connection that has a token or owns ScimUsers/ScimGroups.',
      ),
    controllers: z
      .object({
        workers: z.int().min(1).max(64).default(2),
        resyncSeconds: z.int().min(10).max(86_400).default(600),
      })
      .strict()
      .prefault({}),
    events: z
      .object({
        perUserAccessChanges: z
          .boolean()
          .default(false)
          .describe(
            'Also record an AccessGranted/AccessRevoked Event per user, role and namespace (on the ScimUser). Off: one AccessChanged Event per mapping reconcile summarises the change; the audit log line per user, role and namespace is written either way.',
          ),
      })
      .strict()
      .prefault({}),
    drill: z
      .object({
        enabled: z
          .boolean()
          .default(false)
          .describe(
            'Run the deprovisioning drill: a canary user granted a role through a canary mapping, deactivated, and timed until the authorizer denies.',
          ),
        intervalSeconds: z.int().min(60).max(86_400).default(900).describe('Seconds between drills.'),
        namespace: z
          .string()
          .min(1)
          .max(63)
          .default('scim-operator-drill')
          .describe('An existing namespace the canary is granted a role in; not protected.'),
        clusterRole: z.string().min(1).default('view').describe('The ClusterRole granted; must be allowlisted.'),
        timeoutSeconds: z
          .int()
          .min(5)
          .max(600)
          .default(60)
          .describe('How long to wait for the grant, and again for the revocation.'),
      })
      .strict()
      .prefault({}),
    unmanagedAccess: z
      .object({
        removeSubjects: z
          .boolean()
          .default(false)
          .describe(
            'Remove the subject of an inactive, suspended or deleted user from RoleBindings and ClusterRoleBindings the operator did not generate (each removal logged on the audit line). Off: only report them.',
          ),
      })
      .strict()
      .prefault({}),
    downstream: z
      .object({
        secretNames: z
          .array(z.string().min(1).max(253))
          .max(64)
          .default(['downstream-credentials'])
          .describe(
            "Secrets in the operator's namespace that DownstreamApps may take credentials from; the operator may read exactly these. Each key is usable only by the apps its Secret's scim-operator.dev/allowed-apps annotation names.",
          ),
        allowedAddresses: z
          .array(z.string().min(1).max(64))
          .max(64)
          .default([])
          .describe(
            'Addresses or CIDRs (e.g. 127.0.0.0/8) a DownstreamApp may reach although they are loopback, link-local, private to the node or the API server. Default: none.',
          ),
      })
      .strict()
      .prefault({}),
    leaderElection: z
      .object({
        enabled: z.boolean().default(true),
        namespace: z.string().optional().describe('Namespace of the Lease; default: the pod namespace.'),
        leaseName: z.string().default('scim-operator-leader'),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type Settings = z.infer<typeof settingsSchema>;
export type SubjectRule = Settings['subjects'];

export class SettingsError extends Error {
  override name = 'SettingsError';
}

export function parseSettings(text: string, source = 'configuration'): Settings {
  let raw: unknown;
  try {
    raw = text.trim() === '' ? {} : (load(text) ?? {});
  } catch (err) {
    throw new SettingsError(`${source}: not valid YAML: ${(err as Error).message}`);
  }
  const parsed = settingsSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = issue.path.join('.') || '(top level)';
      if (issue.code === 'unrecognized_keys') {
        const at = issue.path.length ? `${issue.path.join('.')}.` : '';
        return `${issue.keys.map((k) => at + k).join(', ')}: unknown key`;
      }
      return `${key}: ${issue.message}`;
    });
    throw new SettingsError(`${source} is invalid:\n  ${problems.join('\n  ')}`);
  }
  return parsed.data;
}

export async function loadSettings(file: string | undefined): Promise<Settings> {
  if (!file) return parseSettings('');
  return parseSettings(await readFile(file, 'utf8'), file);
}
