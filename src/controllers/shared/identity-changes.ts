import { createHash } from 'node:crypto';
import { annotations } from '../../api/labels.ts';

/**
 * Tells whether an event on a ScimUser or ScimGroup changed what the controllers derive from it: the spec (its
 * generation), the labels (connection, suspended), the subject override, or deletion. Status writes, including the
 * controllers' own, and the endpoint's lastModified bumps of a group are not changes: reacting to them would make
 * every status write re-reconcile the mappings and rebuild indexes over every user.
 */
/** The parts of an object a change is judged by. */
export interface Watched {
  kind?: string;
  metadata?: {
    name?: string;
    generation?: number;
    deletionTimestamp?: string | Date;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
}

export class IdentityChanges {
  /** By object name: one tracker judges one kind. */
  private readonly seen = new Map<string, string>();

  changed(obj: Watched, event: 'add' | 'update' | 'delete'): boolean {
    const key = obj.metadata?.name ?? '';
    if (event === 'delete') {
      this.seen.delete(key);
      return true;
    }
    const meta = obj.metadata ?? {};
    const labels = Object.entries(meta.labels ?? {})
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    // Kept per object: 16 bytes of a digest, not the ~300 of its labels.
    const fingerprint = createHash('sha256')
      .update(
        [
          meta.generation ?? '',
          meta.deletionTimestamp ?? '',
          labels,
          meta.annotations?.[annotations.subject] ?? '',
        ].join('|'),
      )
      .digest()
      .toString('base64', 0, 16);
    const before = this.seen.get(key);
    this.seen.set(key, fingerprint);
    return before !== fingerprint;
  }
}
