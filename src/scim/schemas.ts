/**
 * The schema registry: the one description of what this server stores and returns. `/Schemas`, `/ResourceTypes`,
 * validation, filtering (caseExact), projection (`returned`) and PATCH (`mutability`) all derive from it, so what is
 * advertised is exactly what is kept. Attributes are only listed here when the CRDs store them.
 */

export type AttributeType = 'string' | 'boolean' | 'decimal' | 'integer' | 'dateTime' | 'reference' | 'complex';
export type Mutability = 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
export type Returned = 'always' | 'never' | 'default' | 'request';
export type Uniqueness = 'none' | 'server' | 'global';

export interface AttributeDefinition {
  name: string;
  type: AttributeType;
  multiValued: boolean;
  description: string;
  required: boolean;
  caseExact: boolean;
  mutability: Mutability;
  returned: Returned;
  uniqueness: Uniqueness;
  canonicalValues?: string[];
  referenceTypes?: string[];
  /** Most values a multi-valued attribute may hold (the CRD's `maxItems`); Group `members` are counted per request. */
  maxValues?: number;
  subAttributes?: AttributeDefinition[];
}

export interface SchemaDefinition {
  id: string;
  name: string;
  description: string;
  attributes: AttributeDefinition[];
}

export type ResourceTypeName = 'User' | 'Group';

export interface ResourceTypeDefinition {
  id: ResourceTypeName;
  name: ResourceTypeName;
  endpoint: '/Users' | '/Groups';
  description: string;
  schema: string;
  schemaExtensions: { schema: string; required: boolean }[];
}

/**
 * Every bound on the work one request may cause, in one place. Each is enforced before any per-item store call or any
 * work that grows faster than the input, so that the worst request at its caps stays cheap (`bench/worst-requests.ts`
 * measures it). `maxResults` is advertised in `/ServiceProviderConfig` (`filter.maxResults`); SCIM has no field for the
 * others, so `docs/configuration.md` lists them all with what happens over each.
 */
export const limits = {
  /**
   * Largest page, and the default `count`; a larger `count` is lowered to it (RFC 7644 section 3.4.2.4). Was 1,000:
   * a page of 1,000 full users is ~3 MB of JSON and held the event loop for hundreds of milliseconds
   * (src/http/event-loop.test.ts); Okta pages with count=100, Entra ID looks resources up by filter.
   */
  maxResults: 200,
  /** Largest page of a Group listing that returns `members` (each group costs a member read); larger pages shrink. */
  maxGroupsWithMembers: 50,
  /** Members inlined in one Group listing; beyond, 400 `tooMany` (read large groups one at a time). */
  maxMembersPerListing: 10_000,
  maxFilterLength: 4096,
  maxFilterDepth: 16,
  /**
   * Comparisons and `pr` tests in one filter (Entra and Okta send one or two). A filter no index answers is evaluated
   * against every resource of the connection, so this bounds the cost per resource.
   */
  maxFilterTerms: 10,
  /** Names in `attributes` or in `excludedAttributes`. */
  maxProjectionAttributes: 64,
  /**
   * Operations in one PATCH request, counted as sent; beyond, 400 `tooMany`. Was 1,000: that many operations each
   * rewriting a full multi-valued attribute cost ~30-60 ms of CPU (bench/worst-requests.ts); IdPs send a handful.
   */
  maxPatchOperations: 500,
  /**
   * Values of one multi-valued attribute (emails, roles...), in a request and after a PATCH: the CRDs' `maxItems`
   * (checked by `schemas.test.ts`), so what would fail at the API server fails before any work.
   */
  maxValuesPerAttribute: 32,
  /** `addresses` are larger, and the CRD keeps fewer. */
  maxAddresses: 16,
  /** Group members named in one request: POST/PUT `members`, or all member values and filters of one PATCH. */
  maxMembersPerRequest: 1000,
  maxBodyBytes: 1024 * 1024,
} as const;

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

type Options = Partial<Omit<AttributeDefinition, 'name' | 'type' | 'description'>>;

function attr(name: string, type: AttributeType, description: string, options: Options = {}): AttributeDefinition {
  return {
    name,
    type,
    multiValued: false,
    description,
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...options,
  };
}

const str = (name: string, description: string, options: Options = {}) => attr(name, 'string', description, options);

/** The value/display/type/primary shape shared by emails, phoneNumbers, ims, photos, roles, entitlements... */
function multiValued(name: string, description: string, types: string[], valueType: AttributeType = 'string') {
  return attr(name, 'complex', description, {
    multiValued: true,
    maxValues: limits.maxValuesPerAttribute,
    subAttributes: [
      attr(
        'value',
        valueType,
        `The value of the ${name} entry.`,
        valueType === 'reference' ? { referenceTypes: ['external'] } : {},
      ),
      str('display', 'A human-readable name, primarily used for display purposes.'),
      str(
        'type',
        `A label indicating the function of the ${name} entry.`,
        types.length ? { canonicalValues: types } : {},
      ),
      attr('primary', 'boolean', 'Indicates the primary or preferred value for this attribute.'),
    ],
  });
}

export const userSchema: SchemaDefinition = {
  id: USER_SCHEMA,
  name: 'User',
  description: 'User Account',
  attributes: [
    str('userName', 'Unique identifier for the User, typically used to sign in. Unique case-insensitively.', {
      required: true,
      uniqueness: 'server',
    }),
    attr('name', 'complex', "The components of the user's real name.", {
      subAttributes: [
        str('formatted', 'The full name, formatted for display.'),
        str('familyName', 'The family name of the User.'),
        str('givenName', 'The given name of the User.'),
        str('middleName', 'The middle name(s) of the User.'),
        str('honorificPrefix', 'The honorific prefix(es) of the User.'),
        str('honorificSuffix', 'The honorific suffix(es) of the User.'),
      ],
    }),
    str('displayName', 'The name of the User, suitable for display to end-users.'),
    str('nickName', 'The casual way to address the user in real life.'),
    attr('profileUrl', 'reference', "A fully qualified URL pointing to the User's online profile.", {
      referenceTypes: ['external'],
    }),
    str('title', "The user's title, such as 'Vice President'."),
    str('userType', 'Identifies the relationship between the organization and the user.'),
    str('preferredLanguage', "The User's preferred written or spoken language, e.g. 'en-US'."),
    str('locale', "The User's default location for localization, e.g. 'en-US'."),
    str('timezone', "The User's time zone in the IANA Time Zone database format, e.g. 'Europe/Paris'."),
    attr('active', 'boolean', "The User's administrative status. Inactive users keep their group memberships."),
    multiValued('emails', 'Email addresses for the user.', ['work', 'home', 'other']),
    multiValued('phoneNumbers', 'Phone numbers for the User.', ['work', 'home', 'mobile', 'fax', 'pager', 'other']),
    multiValued('ims', 'Instant messaging addresses for the User.', []),
    multiValued('photos', 'URLs of photos of the User.', ['photo', 'thumbnail'], 'reference'),
    attr('addresses', 'complex', 'A physical mailing address for this User.', {
      multiValued: true,
      maxValues: limits.maxAddresses,
      subAttributes: [
        str('formatted', 'The full mailing address, formatted for display.'),
        str('streetAddress', 'The full street address component.'),
        str('locality', 'The city or locality component.'),
        str('region', 'The state or region component.'),
        str('postalCode', 'The zip code or postal code component.'),
        str('country', 'The country name component.'),
        str('type', 'A label indicating the function of the address.', { canonicalValues: ['work', 'home', 'other'] }),
        attr('primary', 'boolean', 'Indicates the primary mailing address.'),
      ],
    }),
    attr('groups', 'complex', 'Groups the user belongs to, maintained by the server.', {
      multiValued: true,
      mutability: 'readOnly',
      subAttributes: [
        str('value', 'The id of the Group.', { mutability: 'readOnly' }),
        attr('$ref', 'reference', 'The URI of the Group.', { mutability: 'readOnly', referenceTypes: ['Group'] }),
        str('display', 'The displayName of the Group.', { mutability: 'readOnly' }),
        str('type', 'direct', { mutability: 'readOnly', canonicalValues: ['direct', 'indirect'] }),
      ],
    }),
    multiValued('entitlements', 'A list of entitlements for the User.', []),
    multiValued('roles', 'A list of roles for the User.', []),
  ],
};

export const enterpriseUserSchema: SchemaDefinition = {
  id: ENTERPRISE_USER_SCHEMA,
  name: 'EnterpriseUser',
  description: 'Enterprise User',
  attributes: [
    str('employeeNumber', 'Numeric or alphanumeric identifier assigned to a person by the organization.'),
    str('costCenter', 'Identifies the name of a cost center.'),
    str('organization', 'Identifies the name of an organization.'),
    str('division', 'Identifies the name of a division.'),
    str('department', 'Identifies the name of a department.'),
    attr('manager', 'complex', "The User's manager.", {
      subAttributes: [
        str('value', 'The id of the SCIM resource representing the manager.'),
        attr('$ref', 'reference', 'The URI of the manager.', { referenceTypes: ['User'] }),
        str('displayName', 'The displayName of the manager.', { mutability: 'readOnly' }),
      ],
    }),
  ],
};

export const groupSchema: SchemaDefinition = {
  id: GROUP_SCHEMA,
  name: 'Group',
  description: 'Group',
  attributes: [
    str('displayName', 'A human-readable name for the Group. Unique within a connection.', {
      required: true,
      uniqueness: 'server',
    }),
    attr('members', 'complex', 'A list of members of the Group.', {
      multiValued: true,
      subAttributes: [
        str('value', 'Identifier of the member of this Group.', { mutability: 'immutable' }),
        attr('$ref', 'reference', 'The URI of the member resource.', {
          mutability: 'immutable',
          referenceTypes: ['User', 'Group'],
        }),
        str('type', 'The type of the member.', { mutability: 'immutable', canonicalValues: ['User', 'Group'] }),
      ],
    }),
  ],
};

/** Attributes every resource has (RFC 7643 section 3.1); not part of any schema's attribute list in `/Schemas`. */
export const commonAttributes: AttributeDefinition[] = [
  str('id', 'Unique, stable, server-issued identifier.', {
    caseExact: true,
    mutability: 'readOnly',
    returned: 'always',
    uniqueness: 'server',
  }),
  str('externalId', 'Identifier of the resource as defined by the provisioning client.', { caseExact: true }),
  attr('meta', 'complex', 'Resource metadata.', {
    mutability: 'readOnly',
    subAttributes: [
      str('resourceType', 'The name of the resource type.', { mutability: 'readOnly', caseExact: true }),
      attr('created', 'dateTime', 'When the resource was added.', { mutability: 'readOnly' }),
      attr('lastModified', 'dateTime', 'When the resource was last updated.', { mutability: 'readOnly' }),
      attr('location', 'reference', 'The URI of the resource.', { mutability: 'readOnly', caseExact: true }),
      str('version', 'The weak ETag of the resource.', { mutability: 'readOnly', caseExact: true }),
    ],
  }),
];

export const schemas: readonly SchemaDefinition[] = [userSchema, enterpriseUserSchema, groupSchema];

export const resourceTypes: readonly ResourceTypeDefinition[] = [
  {
    id: 'User',
    name: 'User',
    endpoint: '/Users',
    description: 'User Account',
    schema: USER_SCHEMA,
    schemaExtensions: [{ schema: ENTERPRISE_USER_SCHEMA, required: false }],
  },
  { id: 'Group', name: 'Group', endpoint: '/Groups', description: 'Group', schema: GROUP_SCHEMA, schemaExtensions: [] },
];

export function resourceType(name: ResourceTypeName): ResourceTypeDefinition {
  const found = resourceTypes.find((t) => t.id === name);
  if (!found) throw new Error(`unknown resource type ${name}`);
  return found;
}

export function schemaById(id: string): SchemaDefinition | undefined {
  const lower = id.toLowerCase();
  return schemas.find((s) => s.id.toLowerCase() === lower);
}
