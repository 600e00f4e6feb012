/** Labels and annotations of the scim-operator.dev API, in one place. */
export const labels = {
  /** Objects of the deprovisioning drill (value "true"): a canary, never a person; kept out of apps and reports. */
  canary: 'scim-operator.dev/canary',
  /** The IdP connection (bearer-token name) that wrote the object. */
  connection: 'scim-operator.dev/connection',
  /** Hash of the lowercased userName, for consistent index lookups on the API server. */
  userNameHash: 'scim-operator.dev/username-hash',
  /** Hash of the lowercased main email (type work, else primary, else first): IdPs may match users by it. */
  emailHash: 'scim-operator.dev/email-hash',
  /** Hash of the externalId (caseExact). */
  externalIdHash: 'scim-operator.dev/externalid-hash',
  /** Hash of the lowercased displayName of a group. */
  displayNameHash: 'scim-operator.dev/displayname-hash',
  /** The id of the group that a member shard belongs to. */
  group: 'scim-operator.dev/group',
  /** Set by an administrator or GitOps: revokes all access of a ScimUser whatever the IdP says. */
  suspended: 'scim-operator.dev/suspended',
  managedBy: 'app.kubernetes.io/managed-by',
} as const;

export const annotations = {
  /** Millisecond-precision SCIM meta.lastModified (metadata timestamps have one-second resolution). */
  lastModified: 'scim-operator.dev/last-modified',
  created: 'scim-operator.dev/created',
  /** Per-user override of the Kubernetes subject name. */
  subject: 'scim-operator.dev/subject',
  /**
   * On a downstream credentials Secret: which DownstreamApps may use which key, as YAML `{key: [app, ...]}`.
   * Set by whoever manages the Secret; a DownstreamApp author cannot grant themselves a key.
   */
  allowedApps: 'scim-operator.dev/allowed-apps',
  /**
   * On a ScimGroup, set at creation: the depth its member shards start at (docs/adr/0025), "0" for one shard. Absent
   * on groups created before shards split: they start at 4, the 16 shards of ADR 0004.
   */
  memberShardDepth: 'scim-operator.dev/member-shard-depth',
} as const;
