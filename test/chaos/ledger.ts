/**
 * What the IdP believes, from the replies it got: the last value each write was acknowledged (2xx) with, and
 * whether a later write of the same attribute is still unacknowledged (then the server may hold either value, and
 * the suite judges that attribute by what the server reports instead).
 */
export interface Known<T> {
  value: T;
  /** True when the last write of this attribute got a 2xx; false after a write whose outcome is unknown. */
  certain: boolean;
}

export interface UserRecord {
  userName: string;
  /** Owner of all writes about this user, so that its writes are sequential and "last" is well defined. */
  client: number;
  id?: string;
  exists: Known<boolean>;
  active: Known<boolean>;
  member: Known<boolean>;
  /** Set when the user was deleted and provisioned again under the same userName: a newer record speaks for it. */
  supersededBy?: UserRecord;
}

export type Attribute = 'exists' | 'active' | 'member';

export class Ledger {
  readonly users: UserRecord[] = [];

  addUser(userName: string, client: number): UserRecord {
    const user: UserRecord = {
      userName,
      client,
      exists: { value: false, certain: true },
      active: { value: true, certain: true },
      member: { value: false, certain: true },
    };
    this.users.push(user);
    return user;
  }

  /** Records a write about to be sent: until acknowledged, the attribute is uncertain. */
  intend(user: UserRecord, attribute: Attribute, value: boolean): void {
    user[attribute] = { value, certain: false };
  }

  acknowledge(user: UserRecord, attribute: Attribute, value: boolean): void {
    user[attribute] = { value, certain: true };
  }

  /**
   * After an acknowledged deletion, the IdP assigns the same person again: a new user with the same userName and a
   * new id. The old record stays, so the suite still checks that its id is gone.
   */
  reprovision(user: UserRecord): UserRecord {
    const next = this.addUser(user.userName, user.client);
    user.supersededBy = next;
    return next;
  }

  /** The current record of each userName this client owns. */
  usersOf(client: number): UserRecord[] {
    return this.current().filter((u) => u.client === client);
  }

  /** The newest record of every userName. */
  current(): UserRecord[] {
    return this.users.filter((u) => u.supersededBy === undefined);
  }
}
