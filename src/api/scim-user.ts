import { z } from 'zod';
import { type CustomResource, conditionsSchema, readyColumn, resourceKind, toCrd } from './crd-builder.ts';

const text = (description: string, max = 1024) => z.string().max(max).describe(description);

const onePrimary = (attribute: string) => ({
  rule: `!has(self.${attribute}) || self.${attribute}.filter(e, has(e.primary) && e.primary).size() <= 1`,
  message: `at most one of ${attribute} may be primary`,
});

function multiValued(description: string) {
  return z
    .array(
      z.object({
        value: text('The value, e.g. an address or number, stored as sent.').optional(),
        display: text('A human-readable name.').optional(),
        type: text('A label for the function of the value, e.g. work.', 64).optional(),
        primary: z.boolean().optional().describe('Whether this is the primary value.'),
      }),
    )
    .max(32)
    .describe(description);
}

export const scimUserSpecSchema = z
  .object({
    userName: text(
      'Unique identifier of the user, typically what they sign in with. Unique case-insensitively.',
      512,
    ).min(1),
    externalId: text("The identity provider's identifier of the user, e.g. Entra's objectId.", 512).optional(),
    active: z
      .boolean()
      .optional()
      .describe('Whether the user may have access; unset means it may. Inactive users keep memberships.'),
    displayName: text('Name of the user, suitable for display.').optional(),
    nickName: text('Casual name of the user.').optional(),
    profileUrl: text("URL of the user's online profile.").optional(),
    title: text("The user's title, e.g. Vice President.").optional(),
    userType: text('Relationship between the organization and the user, e.g. Employee.').optional(),
    preferredLanguage: text('Preferred written or spoken language, e.g. en-US.', 64).optional(),
    locale: text('Default location for localization, e.g. en-US.', 64).optional(),
    timezone: text('Time zone in IANA format, e.g. Europe/Paris.', 64).optional(),
    name: z
      .object({
        formatted: text('The full name, formatted for display.').optional(),
        familyName: text('Family name.').optional(),
        givenName: text('Given name.').optional(),
        middleName: text('Middle name(s).').optional(),
        honorificPrefix: text('Honorific prefix(es), e.g. Ms.').optional(),
        honorificSuffix: text('Honorific suffix(es), e.g. III.').optional(),
      })
      .optional()
      .describe("The components of the user's name."),
    emails: multiValued('Email addresses.').optional(),
    phoneNumbers: multiValued('Phone numbers, stored as sent.').optional(),
    ims: multiValued('Instant messaging addresses.').optional(),
    photos: multiValued('URLs of photos.').optional(),
    entitlements: multiValued('Entitlements.').optional(),
    roles: multiValued('Roles, as the identity provider sends them.').optional(),
    addresses: z
      .array(
        z.object({
          formatted: text('Full mailing address.').optional(),
          streetAddress: text('Street address.').optional(),
          locality: text('City or locality.').optional(),
          region: text('State or region.').optional(),
          postalCode: text('Postal code.', 64).optional(),
          country: text('Country.', 128).optional(),
          type: text('Label, e.g. work.', 64).optional(),
          primary: z.boolean().optional().describe('Whether this is the primary address.'),
        }),
      )
      .max(16)
      .optional()
      .describe('Physical mailing addresses.'),
    enterprise: z
      .object({
        employeeNumber: text('Identifier assigned by the organization.').optional(),
        costCenter: text('Cost center.').optional(),
        organization: text('Organization.').optional(),
        division: text('Division.').optional(),
        department: text('Department.').optional(),
        manager: z
          .object({
            value: text('The SCIM id of the manager.', 512).optional(),
            ref: text('The URI of the manager resource.').optional(),
            displayName: text('Display name of the manager.').optional(),
          })
          .optional()
          .describe("The user's manager."),
      })
      .optional()
      .describe(
        'Attributes of the SCIM enterprise user extension (urn:ietf:params:scim:schemas:extension:enterprise:2.0:User).',
      ),
  })
  .describe('The user as the identity provider sent it over SCIM. Written by the SCIM endpoint; edit through the IdP.')
  .meta({
    'x-kubernetes-validations': ['emails', 'phoneNumbers', 'ims', 'photos', 'addresses'].map(onePrimary),
  });

/** How many grants a ScimUser's status lists; grantCount holds the total (docs/architecture.md). */
export const MAX_LISTED_GRANTS = 50;

const grantSchema = z
  .object({
    scope: z.enum(['Cluster', 'Namespace']).describe('Cluster-wide (a ClusterRoleBinding) or in one namespace.'),
    namespace: text('The namespace, for a Namespace grant.', 63).optional(),
    roleKind: z.enum(['ClusterRole', 'Role']).describe('The kind of role bound.'),
    role: text('The role bound.', 253),
    accessMapping: text('The AccessMapping that grants it.', 253),
    via: z
      .array(
        z.object({
          kind: z.enum(['User', 'Group', 'Role']).describe('Listed by userName, member of a group, or holding a role.'),
          name: text('The userName, group displayName or role value that selected the user.'),
        }),
      )
      .max(16)
      .optional()
      .describe('Why the mapping selects the user (first 16 reasons).'),
    since: z.string().meta({ format: 'date-time' }).describe('When the operator first saw this grant in place.'),
  })
  .describe('One grant: a role bound to the user by an AccessMapping.');

export const scimUserStatusSchema = z
  .object({
    conditions: conditionsSchema.optional(),
    subject: text(
      'The Kubernetes user name bound for this user, from the subject rule or the subject annotation.',
    ).optional(),
    bindingCount: z.int().min(0).optional().describe('Number of RoleBindings and ClusterRoleBindings naming the user.'),
    grants: z
      .array(grantSchema)
      .max(MAX_LISTED_GRANTS)
      .optional()
      .describe(
        `Effective access the operator granted this user (User subjects), sorted; the first ${MAX_LISTED_GRANTS} of grantCount.`,
      ),
    grantCount: z.int().min(0).optional().describe('Number of grants, listed or not.'),
    apps: z
      .array(
        z.object({
          app: text('The DownstreamApp.', 253),
          state: z.enum(['Pending', 'Provisioned', 'Deprovisioned', 'Failed']).describe('Where the account stands.'),
          remoteId: text('The id of the account in the app.', 512).optional(),
          lastSyncTime: z.string().meta({ format: 'date-time' }).optional().describe('When it last matched.'),
          since: z
            .string()
            .meta({ format: 'date-time' })
            .optional()
            .describe('When the account entered its current state: provisioned, deprovisioned or failing since then.'),
          lastError: text('Why the last sync failed.').optional(),
          plan: text('In dry-run mode: what would be done.').optional(),
          attributesHash: text(
            'Hash of the attributes last sent, so unchanged accounts cost no request.',
            64,
          ).optional(),
        }),
      )
      .max(256)
      .optional()
      .describe('Accounts in downstream apps. Written by the app-accounts controller only.'),
  })
  .describe(
    'What the user can do, as the controllers granted it. Access facts only: a change that alters no access writes nothing here (docs/adr/0021-status-writes.md).',
  );

export type ScimUserSpec = z.infer<typeof scimUserSpecSchema>;
export type ScimUserStatus = z.infer<typeof scimUserStatusSchema>;
export type Grant = z.infer<typeof grantSchema>;
export type ScimUser = CustomResource<ScimUserSpec, ScimUserStatus>;

export const scimUserKind = resourceKind('ScimUser', 'scimusers', 'scimuser', ['su']);

export const scimUserCrd = toCrd(scimUserKind, {
  description:
    'A user provisioned by an identity provider over SCIM 2.0. The object name is the SCIM id: server-issued, stable, never reused.',
  spec: scimUserSpecSchema,
  status: scimUserStatusSchema,
  printerColumns: [
    { name: 'UserName', type: 'string', jsonPath: '.spec.userName' },
    { name: 'Display Name', type: 'string', jsonPath: '.spec.displayName' },
    { name: 'Active', type: 'boolean', jsonPath: '.spec.active' },
    { name: 'Grants', type: 'integer', jsonPath: '.status.grantCount' },
    readyColumn,
    { name: 'Connection', type: 'string', jsonPath: '.metadata.labels.scim-operator\\.dev/connection', priority: 1 },
    { name: 'Subject', type: 'string', jsonPath: '.status.subject', priority: 1 },
  ],
});
