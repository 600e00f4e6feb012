import type { V1ClusterRoleBinding, V1RoleBinding } from '@kubernetes/client-node';
import type { CachedInformer } from '../../runtime/informer.ts';
import type { GrantedBinding } from './effective-grants.ts';

type Binding = V1RoleBinding | V1ClusterRoleBinding;

/**
 * User subject -> our generated bindings naming it, kept from binding events. `onChange` receives the subjects whose
 * set of bindings changed, so only their users' status is recomputed.
 */
export class BindingIndex {
  private readonly byBinding = new Map<string, { subjects: Set<string>; grant: GrantedBinding }>();
  private readonly bySubject = new Map<string, Set<string>>();

  constructor(informers: readonly CachedInformer<Binding>[], onChange: (subjects: string[]) => void) {
    for (const informer of informers) {
      const key = (o: Binding) => `${o.kind ?? ''}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;
      const upsert = (o: Binding) => onChange(this.set(key(o), userSubjects(o), grantOf(o)));
      informer.on('add', upsert);
      informer.on('update', upsert);
      informer.on('delete', (o) => onChange(this.set(key(o), new Set(), grantOf(o))));
    }
  }

  count(subject: string): number {
    return this.bySubject.get(subject)?.size ?? 0;
  }

  /** The bindings naming the subject, as grants (one per binding; see effective-grants.ts for the merge). */
  grantsOf(subject: string): GrantedBinding[] {
    return [...(this.bySubject.get(subject) ?? [])].flatMap((key) => this.byBinding.get(key)?.grant ?? []);
  }

  /** The subjects named by the bindings a mapping owns: whose grants' provenance a change of the mapping can alter. */
  subjectsOfMapping(accessMapping: string): string[] {
    const out = new Set<string>();
    for (const { subjects, grant } of this.byBinding.values())
      if (grant.accessMapping === accessMapping) for (const s of subjects) out.add(s);
    return [...out];
  }

  private set(key: string, next: Set<string>, grant: GrantedBinding): string[] {
    const previous = this.byBinding.get(key)?.subjects ?? new Set<string>();
    const changed: string[] = [];
    for (const s of previous) if (!next.has(s)) changed.push(s);
    for (const s of next) if (!previous.has(s)) changed.push(s);
    for (const s of previous) this.bySubject.get(s)?.delete(key);
    for (const s of next) {
      const keys = this.bySubject.get(s);
      if (keys) keys.add(key);
      else this.bySubject.set(s, new Set([key]));
    }
    for (const s of changed) if (this.bySubject.get(s)?.size === 0) this.bySubject.delete(s);
    if (next.size) this.byBinding.set(key, { subjects: next, grant });
    else this.byBinding.delete(key);
    return changed;
  }
}

function userSubjects(o: Binding): Set<string> {
  return new Set((o.subjects ?? []).filter((s) => s.kind === 'User').map((s) => s.name));
}

function grantOf(o: Binding): GrantedBinding {
  const namespace = o.metadata?.namespace;
  return {
    namespace: namespace || undefined,
    roleKind: o.roleRef.kind === 'Role' ? 'Role' : 'ClusterRole',
    role: o.roleRef.name,
    accessMapping: o.metadata?.ownerReferences?.find((r) => r.kind === 'AccessMapping')?.name ?? '',
  };
}
