import { labels } from '../../api/labels.ts';
import type { ScimGroup } from '../../api/scim-group.ts';
import type { ScimUser } from '../../api/scim-user.ts';
import { type CachedInformer, informerOf } from '../../runtime/informer.ts';
import type { SubjectRule } from '../../settings.ts';
import type { StoreCache } from '../../store/store-cache.ts';
import type { IdentityView } from '../selection/identity-view.ts';
import { IdentityChanges } from './identity-changes.ts';
import { userSubject } from './subject-name.ts';

export type IdentityEvent = 'add' | 'update' | 'delete';
const EVENTS: readonly IdentityEvent[] = ['add', 'update', 'delete'];

/**
 * IdentityView over the informer caches the SCIM store already keeps, with the indexes the controllers need:
 * userName -> users, role value -> users, displayName/externalId -> groups, and subject -> users (to refuse
 * duplicates within a connection: a user written through one connection can never unbind another connection's
 * user). The indexes are built from the informers' lists at the first lookup, then kept up to date one object at a
 * time from their events: a rebuild per change would cost O(users) for every user written, O(users²) over an
 * initial sync. Each object's keys are remembered, because an informer update carries only the new object.
 *
 * Indexes hold object names, never objects: a status write replaces the informer's object, and an index of objects
 * would keep the replaced version alive, a second copy of every user. Lookups read the current object from the
 * informer.
 *
 * It also tells every controller which events changed a user or group (`onUserChange`, `onGroupChange`): one
 * IdentityChanges per kind judges each event once, where each controller used to keep its own, a key and a digest per
 * object per controller (ADR 0020).
 */
export class IdentityCache implements IdentityView {
  /** The store's informers, typed: products watch these for identity changes. */
  readonly userInformer: CachedInformer<ScimUser>;
  readonly groupInformer: CachedInformer<ScimGroup>;
  /** Group id -> member ids, from the member shards; `onChange(groupId, changedMembers)`. */
  readonly memberships: StoreCache['memberships'];
  private readonly rule: SubjectRule;
  private built = false;
  private readonly byUserName: NameIndex = new Map();
  private readonly byRole: NameIndex = new Map();
  private readonly bySubject: NameIndex = new Map();
  private readonly groupsByName: NameIndex = new Map();
  private readonly groupsByExternal: NameIndex = new Map();
  /** Objects per connection label, users and groups together. */
  private readonly connectionCounts = new Map<string, number>();
  private readonly userKeys = new Map<string, UserKeys>();
  private readonly groupKeys = new Map<string, GroupKeys>();
  private readonly userChanges = new Verdicts<ScimUser>();
  private readonly groupChanges = new Verdicts<ScimGroup>();

  constructor(cache: StoreCache, rule: SubjectRule) {
    this.userInformer = informerOf<ScimUser>(cache.users);
    this.groupInformer = informerOf<ScimGroup>(cache.groups);
    this.memberships = cache.memberships;
    this.rule = rule;
    // Registered before any controller's handler, so each event is judged before they run (ListWatch calls an
    // event's handlers in the order they were added).
    for (const event of EVENTS) {
      this.userInformer.on(event, (u) => this.userChanges.judge(u, event));
      this.groupInformer.on(event, (g) => this.groupChanges.judge(g, event));
    }
    // Before the first lookup the build reads the lists; after it, every event updates the indexes.
    this.userInformer.on('add', (u) => this.built && this.indexUser(u));
    this.userInformer.on('update', (u) => this.built && this.indexUser(u));
    this.userInformer.on('delete', (u) => this.built && this.unindexUser(u.metadata.name));
    this.groupInformer.on('add', (g) => this.built && this.indexGroup(g));
    this.groupInformer.on('update', (g) => this.built && this.indexGroup(g));
    this.groupInformer.on('delete', (g) => this.built && this.unindexGroup(g.metadata.name));
  }

  /**
   * Calls `handler` for each event that changed what the controllers derive from a user: its spec, labels, subject
   * override, or its deletion (IdentityChanges). Status writes, the controllers' own included, are not changes.
   */
  onUserChange(handler: (user: ScimUser, event: IdentityEvent) => void): void {
    for (const event of EVENTS) this.userInformer.on(event, (u) => this.userChanges.changed(u) && handler(u, event));
  }

  /** As `onUserChange`, for groups (member changes arrive through `memberships.onChange` instead). */
  onGroupChange(handler: (group: ScimGroup, event: IdentityEvent) => void): void {
    for (const event of EVENTS) this.groupInformer.on(event, (g) => this.groupChanges.changed(g) && handler(g, event));
  }

  private refresh(): void {
    if (this.built) return;
    this.built = true;
    for (const user of this.userInformer.list()) this.indexUser(user);
    for (const group of this.groupInformer.list()) this.indexGroup(group);
  }

  private indexUser(user: ScimUser): void {
    const id = user.metadata.name;
    this.unindexUser(id);
    const connection = user.metadata.labels?.[labels.connection];
    const subject = userSubject(user, this.rule);
    const keys: UserKeys = {
      userName: user.spec.userName.toLowerCase(),
      roles: user.spec.roles?.length ? [...new Set(user.spec.roles.flatMap((r) => r.value ?? []))] : NO_ROLES,
      connection,
      subject: subject.ok ? subject.name : undefined,
    };
    push(this.byUserName, keys.userName, id);
    for (const role of keys.roles) push(this.byRole, role, id);
    if (keys.subject !== undefined) {
      push(this.bySubject, keys.subject, id);
    }
    this.countConnection(connection, 1);
    this.userKeys.set(id, keys);
  }

  private unindexUser(id: string): void {
    const keys = this.userKeys.get(id);
    if (!keys) return;
    this.userKeys.delete(id);
    pull(this.byUserName, keys.userName, id);
    for (const role of keys.roles) pull(this.byRole, role, id);
    if (keys.subject !== undefined) {
      pull(this.bySubject, keys.subject, id);
    }
    this.countConnection(keys.connection, -1);
  }

  private indexGroup(group: ScimGroup): void {
    const id = group.metadata.name;
    this.unindexGroup(id);
    const keys: GroupKeys = {
      displayName: group.spec.displayName.toLowerCase(),
      externalId: group.spec.externalId || undefined,
      connection: group.metadata.labels?.[labels.connection],
    };
    push(this.groupsByName, keys.displayName, id);
    if (keys.externalId !== undefined) push(this.groupsByExternal, keys.externalId, id);
    this.countConnection(keys.connection, 1);
    this.groupKeys.set(id, keys);
  }

  private unindexGroup(id: string): void {
    const keys = this.groupKeys.get(id);
    if (!keys) return;
    this.groupKeys.delete(id);
    pull(this.groupsByName, keys.displayName, id);
    if (keys.externalId !== undefined) pull(this.groupsByExternal, keys.externalId, id);
    this.countConnection(keys.connection, -1);
  }

  private countConnection(connection: string | undefined, delta: number): void {
    if (!connection) return;
    const count = (this.connectionCounts.get(connection) ?? 0) + delta;
    if (count > 0) this.connectionCounts.set(connection, count);
    else this.connectionCounts.delete(connection);
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
    // Holders of the subject in this connection: the subject's holders are nearly always one, so filtering them costs
    // less than an index keyed by connection and subject, a concatenated string per user.
    const holders = namesOf(this.bySubject.get(subject.name)).filter(
      (h) => this.userKeys.get(h)?.connection === connection,
    );
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
    return new Set(this.connectionCounts.keys());
  }

  /** The users whose subject is `name` (normally one), in every connection. */
  usersWithSubject(name: string): string[] {
    this.refresh();
    return namesOf(this.bySubject.get(name));
  }
}

/**
 * The verdict of one IdentityChanges on the event being delivered: judged by the first handler of the event, read by
 * the handlers after it, which receive the same object.
 */
class Verdicts<T extends ScimUser | ScimGroup> {
  private readonly changes = new IdentityChanges();
  private judged: T | undefined;
  private verdict = false;

  judge(obj: T, event: IdentityEvent): void {
    this.judged = obj;
    this.verdict = this.changes.changed(obj, event);
  }

  changed(obj: T): boolean {
    return this.judged === obj && this.verdict;
  }
}

/** What one object put in the indexes, so that its next version (or its deletion) can take it out again. */
interface UserKeys {
  userName: string;
  roles: string[];
  connection: string | undefined;
  subject: string | undefined;
}

interface GroupKeys {
  displayName: string;
  externalId: string | undefined;
  connection: string | undefined;
}

/** Shared by the users without roles (nearly all): an empty array per user costs 16 bytes for nothing. */
const NO_ROLES: string[] = [];

/** Key -> object name, or names when several share the key (rare): no array for the common single holder. */
type NameIndex = Map<string, string | string[]>;

function push(index: NameIndex, key: string, name: string): void {
  const held = index.get(key);
  if (held === undefined) index.set(key, name);
  else if (typeof held === 'string') index.set(key, [held, name]);
  else held.push(name);
}

function pull(index: NameIndex, key: string, name: string): void {
  const held = index.get(key);
  if (held === undefined) return;
  if (typeof held === 'string') {
    if (held === name) index.delete(key);
    return;
  }
  const rest = held.filter((n) => n !== name);
  if (rest.length === 0) index.delete(key);
  else index.set(key, rest.length === 1 ? (rest[0] as string) : rest);
}

function namesOf(held: string | string[] | undefined): string[] {
  return held === undefined ? [] : typeof held === 'string' ? [held] : [...held];
}

/** The current objects of the names held, skipping any the informer no longer has. */
function resolve<T>(held: string | string[] | undefined, informer: CachedInformer<T>): T[] {
  return namesOf(held).flatMap((name) => informer.get(name) ?? []);
}

function inConnection<T extends { metadata: { labels?: Record<string, string> } }>(
  items: T[],
  connection?: string,
): T[] {
  return connection ? items.filter((i) => i.metadata.labels?.[labels.connection] === connection) : items;
}
