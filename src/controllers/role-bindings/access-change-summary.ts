/**
 * What one reconcile of an AccessMapping changed, summarised for the one Event it records on the mapping
 * (docs/adr/0022-revocation-first.md): counts, roles, where, and the first few users. The audit trail is the
 * structured log line per user, role and namespace; this is the at-a-glance view, which expires with the Event.
 */
export class AccessChangeSummary {
  private readonly changes = {
    granted: { users: new Set<string>(), roles: new Set<string>(), places: new Set<string>(), count: 0 },
    revoked: { users: new Set<string>(), roles: new Set<string>(), places: new Set<string>(), count: 0 },
  };

  /** One user gained or lost `role` (e.g. `ClusterRole/view`) in `namespace` (undefined: cluster-wide). */
  add(action: 'granted' | 'revoked', user: string, role: string, namespace: string | undefined): void {
    const change = this.changes[action];
    change.users.add(user);
    change.roles.add(role);
    change.places.add(namespace ?? '(cluster-wide)');
    change.count++;
  }

  isEmpty(): boolean {
    return this.changes.granted.count === 0 && this.changes.revoked.count === 0;
  }

  /** E.g. "revoked 1 user (ClusterRole/edit in payments): ada; granted 52 users (…): bob, … and 47 more". */
  message(firstUsers = 5): string {
    const parts: string[] = [];
    for (const action of ['revoked', 'granted'] as const) {
      const { users, roles, places, count } = this.changes[action];
      if (count === 0) continue;
      const named = [...users].slice(0, firstUsers);
      const more = users.size > named.length ? ` and ${users.size - named.length} more` : '';
      parts.push(
        `${action} ${plural(users.size, 'user')} (${list([...roles], 3)} in ${list([...places], 3)}; ` +
          `${plural(count, 'grant')}): ${named.join(', ')}${more}`,
      );
    }
    return parts.join('; ');
  }
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function list(items: string[], first: number): string {
  const shown = items.slice(0, first).join(', ');
  return items.length > first ? `${shown} and ${items.length - first} more` : shown;
}
