import { z } from 'zod';
import { type CustomResource, conditionsSchema, readyColumn, resourceKind, toCrd } from './crd-builder.ts';

/** A key of a Secret in the operator's namespace (the namespace of its token Secret). */
const secretKeyRef = (description: string) =>
  z
    .object({
      name: z.string().min(1).max(253).describe("The Secret's name, in the operator's namespace."),
      key: z
        .string()
        .min(1)
        .max(253)
        .describe(
          "The key within the Secret; the Secret's scim-operator.dev/allowed-apps annotation must grant it to this app.",
        ),
    })
    .describe(description);

const authSchema = z
  .object({
    bearer: z
      .object({ token: secretKeyRef('The bearer token.') })
      .optional()
      .describe('Authorization: Bearer <token>.'),
    basic: z
      .object({ username: secretKeyRef('The user name.'), password: secretKeyRef('The password.') })
      .optional()
      .describe('HTTP basic authentication.'),
    oauth2: z
      .object({
        tokenUrl: z
          .string()
          .max(2048)
          .describe(
            'The token endpoint (client credentials grant): https, and never a loopback, link-local or API server address.',
          ),
        clientId: secretKeyRef('The client id.'),
        clientSecret: secretKeyRef('The client secret.'),
        scopes: z.array(z.string().max(256)).max(32).optional().describe('Scopes to request.'),
      })
      .optional()
      .describe(
        'OAuth 2.0 client credentials: an access token is fetched, cached until it expires, and sent as Bearer.',
      ),
  })
  .describe('How to authenticate to the service: set exactly one.')
  .meta({
    'x-kubernetes-validations': [
      {
        rule: '[has(self.bearer), has(self.basic), has(self.oauth2)].filter(x, x).size() == 1',
        message: 'set exactly one of bearer, basic and oauth2',
      },
    ],
  });

export const attributeMappingSchema = z
  .object({
    path: z
      .string()
      .min(1)
      .max(256)
      .describe(
        'Target SCIM attribute: a top-level attribute (displayName), a sub-attribute (name.givenName), an enterprise attribute (urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department), or one of emails, phoneNumbers, roles, entitlements (sent as a single primary value).',
      ),
    from: z
      .string()
      .max(256)
      .optional()
      .describe('A ScimUser attribute to copy: userName, externalId, displayName, name.givenName, email, ...'),
    value: z.string().max(1024).optional().describe('A constant.'),
    template: z
      .string()
      .max(1024)
      .optional()
      .describe(
        'A template: {{userName}}, {{name.givenName}}, {{email}}, ... from the ScimUser, {{assignment.<key>}} from the assignment.',
      ),
  })
  .describe('One attribute sent to the service.')
  .meta({
    'x-kubernetes-validations': [
      {
        rule: '[has(self.from), has(self.value), has(self.template)].filter(x, x).size() == 1',
        message: 'set exactly one of from, value and template',
      },
    ],
  });

export const downstreamAppSpecSchema = z
  .object({
    url: z
      .string()
      .min(1)
      .max(2048)
      .describe(
        'Base URL of the SCIM 2.0 service, e.g. https://app.example.com/scim/v2 (Users are at <url>/Users). Never a loopback, link-local or API server address unless the operator settings allow it.',
      ),
    connection: z
      .string()
      .max(63)
      .optional()
      .describe(
        'Only users written through this SCIM connection are provisioned, and only an operator serving it manages the app.',
      ),
    auth: authSchema,
    tls: z
      .object({
        caBundle: z
          .string()
          .max(65_536)
          .optional()
          .describe('PEM CA certificates to trust instead of the system roots.'),
        insecureHttp: z
          .boolean()
          .optional()
          .describe('Allow a plain http:// URL. For tests only: credentials and data then travel unencrypted.'),
      })
      .optional()
      .describe('TLS settings. Certificates are always verified.'),
    matchAttribute: z
      .enum(['userName', 'externalId', 'email'])
      .default('userName')
      .describe('Attribute used to find an existing account before creating one (the account is then adopted).'),
    attributes: z
      .array(attributeMappingSchema)
      .max(64)
      .optional()
      .describe(
        'Attributes to send. Default: userName, externalId, displayName, name.givenName, name.familyName and the primary email. userName and active are always sent.',
      ),
    deprovision: z
      .enum(['Deactivate', 'Delete'])
      .default('Deactivate')
      .describe('What happens to an account whose assignment ends, or whose user is deactivated or deleted.'),
    groups: z
      .object({
        push: z.boolean().default(false).describe('Create the groups of the assigning mappings in the service.'),
      })
      .optional()
      .describe('Group push: groups named in the assigning AccessMappings, with their provisioned members.'),
    limits: z
      .object({
        requestsPerSecond: z.number().min(0.1).max(10_000).default(20).describe('Sustained request rate.'),
        burst: z.int().min(1).max(10_000).default(20).describe('Requests allowed in a burst above the rate.'),
        maxConcurrent: z.int().min(1).max(256).default(4).describe('Requests in flight at once.'),
        timeoutSeconds: z.int().min(1).max(300).default(10).describe('Deadline of one request.'),
      })
      .prefault({})
      .describe('Request rate and concurrency towards the service.'),
    suspend: z.boolean().optional().describe('Send nothing to the service until unsuspended; status is kept as is.'),
    dryRun: z
      .boolean()
      .optional()
      .describe('Look accounts up but change nothing: status.apps of each user says what would be done.'),
  })
  .describe('A SCIM 2.0 service that assigned users get accounts in. Assign it through AccessMapping.spec.apps.')
  .meta({
    'x-kubernetes-validations': [
      {
        rule: "self.url.startsWith('https://') || (self.url.startsWith('http://') && has(self.tls) && has(self.tls.insecureHttp) && self.tls.insecureHttp)",
        message: 'url must be https://, or http:// with tls.insecureHttp: true',
      },
      {
        rule: "!has(self.auth.oauth2) || self.auth.oauth2.tokenUrl.startsWith('https://') || (self.auth.oauth2.tokenUrl.startsWith('http://') && has(self.tls) && has(self.tls.insecureHttp) && self.tls.insecureHttp)",
        message: 'auth.oauth2.tokenUrl must be https://, or http:// with tls.insecureHttp: true',
      },
    ],
  });

export const downstreamAppStatusSchema = z
  .object({
    conditions: conditionsSchema.optional(),
    observedGeneration: z.int().min(0).optional().describe('The generation this status describes.'),
    accounts: z
      .object({
        provisioned: z.int().min(0).describe('Accounts that exist and match.'),
        deprovisioned: z.int().min(0).describe('Accounts deactivated by the operator.'),
        pending: z.int().min(0).describe('Accounts not yet in sync (or planned, in dry-run mode).'),
        failed: z.int().min(0).describe('Accounts whose last sync failed.'),
      })
      .optional()
      .describe('Accounts by state.'),
    groups: z
      .array(
        z.object({
          displayName: z.string().max(1024).describe('The group, as named in the service.'),
          remoteId: z.string().max(512).optional().describe('Its id in the service.'),
          members: z.int().min(0).describe('Members pushed.'),
          membersHash: z.string().max(64).optional().describe('Hash of the pushed member ids.'),
        }),
      )
      .max(256)
      .optional()
      .describe('Groups pushed to the service.'),
    lastError: z.string().max(1024).optional().describe('The last error talking to the service, if any.'),
  })
  .describe('What the operator observed of the service.');

export type DownstreamAppSpec = z.infer<typeof downstreamAppSpecSchema>;
export type DownstreamAppStatus = z.infer<typeof downstreamAppStatusSchema>;
export type DownstreamApp = CustomResource<DownstreamAppSpec, DownstreamAppStatus>;
export type AttributeMapping = z.infer<typeof attributeMappingSchema>;
export type SecretKeyRef = { name: string; key: string };

export const downstreamAppKind = resourceKind('DownstreamApp', 'downstreamapps', 'downstreamapp', ['dsa']);

export const DOWNSTREAM_FINALIZER = 'scim-operator.dev/downstream-accounts';

/** Parses with defaults applied: informer copies carry only what the API server stored. */
export function appSpec(app: DownstreamApp): DownstreamAppSpec {
  return downstreamAppSpecSchema.parse(app.spec);
}

export const downstreamAppCrd = toCrd(downstreamAppKind, {
  description:
    'A SCIM 2.0 service outside the cluster: users assigned to it by AccessMappings get accounts there, kept in sync and deprovisioned.',
  spec: downstreamAppSpecSchema,
  status: downstreamAppStatusSchema,
  printerColumns: [
    { name: 'URL', type: 'string', jsonPath: '.spec.url' },
    { name: 'Provisioned', type: 'integer', jsonPath: '.status.accounts.provisioned' },
    { name: 'Failed', type: 'integer', jsonPath: '.status.accounts.failed' },
    { name: 'Suspended', type: 'boolean', jsonPath: '.spec.suspend' },
    readyColumn,
    { name: 'Reason', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason', priority: 1 },
    { name: 'Dry Run', type: 'boolean', jsonPath: '.spec.dryRun', priority: 1 },
  ],
});
