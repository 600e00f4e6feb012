import type { V1ClusterRoleBinding, V1RoleBinding } from '@kubernetes/client-node';
import type { CachedInformer } from '../../runtime/informer.ts';

type Binding = V1RoleBinding | V1ClusterRoleBinding;

/**
 * User subject -> number of our generated bindings naming it, kept from binding events. `onChange` receives the
 * subjects whose count changed, so only their users' status is recomputed.
 */
export class BindingIndex {
  private readonly byBinding = new Map<string, Set<string>>();
  private readonly counts = new Map<string, number>();

  constructor(informers: readonly CachedInformer<Binding>[], onChange: (subjects: string[]) => void) {
    for (const informer of informers) {
      const key = (o: Binding) => `${o.kind ?? ''}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;
      const upsert = (o: Binding) => onChange(this.set(key(o), userSubjects(o)));
      informer.on('add', upsert);
      informer.on('update', upsert);
      informer.on('delete', (o) => onChange(this.set(key(o), new Set())));
    }
  }

  count(subject: string): number {
    return this.counts.get(subject) ?? 0;
  }

  private set(key: string, next: Set<string>): string[] {
    const previous = this.byBinding.get(key) ?? new Set<string>();
    const changed: string[] = [];
    for (const s of previous) if (!next.has(s)) changed.push(s);
    for (const s of next) if (!previous.has(s)) changed.push(s);
    for (const s of previous) this.counts.set(s, (this.counts.get(s) ?? 1) - 1);
    for (const s of next) this.counts.set(s, (this.counts.get(s) ?? 0) + 1);
    for (const s of changed) if (this.counts.get(s) === 0) this.counts.delete(s);
    if (next.size) this.byBinding.set(key, next);
    else this.byBinding.delete(key);
    return changed;
  }
}

function userSubjects(o: Binding): Set<string> {
  return new Set((o.subjects ?? []).filter((s) => s.kind === 'User').map((s) => s.name));
}
