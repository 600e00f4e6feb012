import { labels } from '../../api/labels.ts';
import type { ScimGroup } from '../../api/scim-group.ts';
import type { ScimUser } from '../../api/scim-user.ts';
import { type CachedInformer, informerOf } from '../../runtime/informer.ts';
import type { SubjectRule } from '../../settings.ts';
import type { StoreCache } from '../../store/store-cache.ts';
import type { IdentityView } from '../selection/identity-view.ts';
import { IdentityChanges } from './identity-changes.ts';
import { userSubject } from './subject-name.ts';

/**
 * IdentityView over the informer caches the SCIM store already keeps, with the indexes the controllers need:
 * userName -> users, role value -> users, displayName/externalId -> groups, and subject -> users (to refuse
 * duplicates within a connection: a user written through one connection can never unbind another connection's
 * user). Indexes are rebuilt lazily after a change, so a burst of SCIM writes costs one rebuild per reconcile,
 * not one per write.
 *
 * Indexes hold object names, never objects: a status write replaces the informer's object without a rebuild (it is
 * no change, see identity-changes.ts), and an index of objects would keep the replaced version alive, a second copy
 * of every user. Lookups read the current object from the informer.
 */
export class IdentityCache implements IdentityView {
  /** The store's informers, typed: products watch these for identity changes. */
  readonly userInformer: CachedInformer<ScimUser>;
  readonly groupInformer: CachedInformer<ScimGroup>;
  /** Group id -> member ids, from the member shards; `onChange(groupId, changedMembers)`. */
  readonly memberships: StoreCache['memberships'];
  private readonly rule: SubjectRule;
  private dirty = true;
  private byUserName: NameIndex = new Map();
  private byRole: NameIndex = new Map();
  private bySubject: NameIndex = new Map();
  private byConnectionSubject: NameIndex = new Map();
  private labelledConnections = new Set<string>();
  private groupsByName: NameIndex = new Map();
  private groupsByExternal: NameIndex = new Map();

  constructor(cache: StoreCache, rule: SubjectRule) {
    this.userInformer = informerOf<ScimUser>(cache.users);
    this.groupInformer = informerOf<ScimGroup>(cache.groups);
    this.memberships = cache.memberships;
    this.rule = rule;
    const changes = new IdentityChanges();
    for (const informer of [cache.users, cache.groups]) {
      for (const event of ['add', 'update', 'delete'] as const) {
        informer.on(event, (o) => {
          if (changes.changed(o, event)) this.dirty = true;
        });
      }
    }
  }

  private refresh(): void {
    if (!this.dirty) return;
    this.dirty = false;
    const byUserName: NameIndex = new Map();
    const byRole: NameIndex = new Map();
    const bySubject: NameIndex = new Map();
    const byConnectionSubject: NameIndex = new Map();
    const connections = new Set<string>();
    for (const user of this.userInformer.list()) {
      const id = user.metadata.name;
      push(byUserName, user.spec.userName.toLowerCase(), id);
      for (const value of new Set((user.spec.roles ?? []).flatMap((r) => r.value ?? []))) push(byRole, value, id);
      const connection = user.metadata.labels?.[labels.connection];
      if (connection) connections.add(connection);
      const subject = userSubject(user, this.rule);
      if (!subject.ok) continue;
      push(bySubject, subject.name, id);
      push(byConnectionSubject, connectionSubject(connection, subject.name), id);
    }
    const groupsByName: NameIndex = new Map();
    const groupsByExternal: NameIndex = new Map();
    for (const group of this.groupInformer.list()) {
      const connection = group.metadata.labels?.[labels.connection];
      if (connection) connections.add(connection);
      push(groupsByName, group.spec.displayName.toLowerCase(), group.metadata.name);
      if (group.spec.externalId) push(groupsByExternal, group.spec.externalId, group.metadata.name);
    }
    this.byUserName = byUserName;
    this.byRole = byRole;
    this.bySubject = bySubject;
    this.byConnectionSubject = byConnectionSubject;
    this.labelledConnections = connections;
    this.groupsByName = groupsByName;
    this.groupsByExternal = groupsByExternal;
  }

  users(): ScimUser[] {
    return [...this.userInformer.list()];
  }

  groups(): ScimGroup[] {
    return [...this.groupInformer.list()];
  }

  user(id: string): ScimUser | undefined {
    return this.userInformer.get(id);
  }

  group(id: string): ScimGroup | undefined {
    return this.groupInformer.get(id);
  }

  usersByUserName(userName: string, connection: string | undefined): ScimUser[] {
    this.refresh();
    return inConnection(resolve(this.byUserName.get(userName.toLowerCase()), this.userInformer), connection);
  }

  usersByRole(value: string, connection: string | undefined): ScimUser[] {
    this.refresh();
    return inConnection(resolve(this.byRole.get(value), this.userInformer), connection);
  }

  groupsByDisplayName(displayName: string, connection: string | undefined): ScimGroup[] {
    this.refresh();
    return inConnection(resolve(this.groupsByName.get(displayName.toLowerCase()), this.groupInformer), connection);
  }

  groupsByExternalId(externalId: string, connection: string | undefined): ScimGroup[] {
    this.refresh();
    return inConnection(resolve(this.groupsByExternal.get(externalId), this.groupInformer), connection);
  }

  membersOf(groupId: string): string[] {
    return this.memberships.membersOf(groupId);
  }

  groupsOf(userId: string): string[] {
    return this.memberships.groupsOf(userId);
  }

  /** The groups the user is a direct member of, as far as the cache has them. */
  groupsOfUser(userId: string): ScimGroup[] {
    return this.groupsOf(userId).flatMap((id) => this.group(id) ?? []);
  }

  subjectOf(userId: string): ReturnType<IdentityView['subjectOf']> {
    this.refresh();
    const user = this.user(userId);
    if (!user) return { ok: false, reason: 'NotFound', message: `user ${userId} does not exist` };
    const subject = userSubject(user, this.rule);
    if (!subject.ok) return subject;
    const connection = user.metadata.labels?.[labels.connection];
    const holders = namesOf(this.byConnectionSubject.get(connectionSubject(connection, subject.name)));
    if (holders.length > 1) {
      const others = holders.filter((h) => h !== userId).map((h) => this.user(h)?.spec.userName ?? h);
      return {
        ok: false,
        reason: 'DuplicateSubject',
        message: `subject ${subject.name} also belongs to ${others.join(', ')}; none of them is bound until it is unique`,
      };
    }
    return subject;
  }

  /** The connections that own at least one ScimUser or ScimGroup (their `scim-operator.dev/connection` label). */
  connections(): ReadonlySet<string> {
    this.refresh();
    return this.labelledConnections;
  }

  /** The users whose subject is `name` (normally one), in every connection. */
  usersWithSubject(name: string): string[] {
    this.refresh();
    return namesOf(this.bySubject.get(name));
  }
}

/** Key -> object name, or names when several share the key (rare): no array for the common single holder. */
type NameIndex = Map<string, string | string[]>;

function push(index: NameIndex, key: string, name: string): void {
  const held = index.get(key);
  if (held === undefined) index.set(key, name);
  else if (typeof held === 'string') index.set(key, [held, name]);
  else held.push(name);
}

function namesOf(held: string | string[] | undefined): string[] {
  return held === undefined ? [] : typeof held === 'string' ? [held] : [...held];
}

/** The current objects of the names held, skipping any the informer no longer has. */
function resolve<T>(held: string | string[] | undefined, informer: CachedInformer<T>): T[] {
  return namesOf(held).flatMap((name) => informer.get(name) ?? []);
}

function connectionSubject(connection: string | undefined, subject: string): string {
  return `${connection ?? ''}\u0000${subject}`;
}

function inConnection<T extends { metadata: { labels?: Record<string, string> } }>(
  items: T[],
  connection?: string,
): T[] {
  return connection ? items.filter((i) => i.metadata.labels?.[labels.connection] === connection) : items;
}
