/**
 * The one user shape every peer and our operator are seeded with and sent, so that all of them index, filter and
 * serialise the same payload. Ids of seeded peer users are `peer-user-<i>`; our operator's are UUIDs.
 */
export function peerUser(i: number, prefix = 'peer') {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName: `${prefix}-${i}@example.com`,
    externalId: `${prefix}-ext-${i}`,
    displayName: `Peer User ${i}`,
    active: true,
    name: { givenName: 'Peer', familyName: `User ${i}` },
    emails: [{ value: `${prefix}-${i}@example.com`, type: 'work', primary: true }],
  };
}

export const peerUserId = (i: number) => `peer-user-${i}`;
export const PEER_GROUP_ID = 'peer-group-0';
export const PEER_GROUP_NAME = 'Peer Group';
