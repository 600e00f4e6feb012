import type { Condition } from '../api/crd-builder.ts';

export type ConditionUpdate = Pick<Condition, 'type' | 'status' | 'reason' | 'message'>;

/**
 * apimachinery's `meta.SetStatusCondition`, without mutation: returns a new array in which the condition of
 * `next.type` carries `next`'s status, reason and message and `observedGeneration`. `lastTransitionTime` becomes
 * `now` only when the condition is new or its status changed. Other conditions and the order are kept; a new type
 * is appended.
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  next: ConditionUpdate,
  observedGeneration: number,
  now: Date,
): Condition[] {
  const list = conditions ?? [];
  const existing = findCondition(list, next.type);
  const lastTransitionTime =
    existing && existing.status === next.status ? existing.lastTransitionTime : toMetaTime(now);
  const updated: Condition = { ...next, observedGeneration, lastTransitionTime };
  if (!existing) return [...list, updated];
  return list.map((c) => (c.type === next.type ? updated : c));
}

export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return findCondition(conditions, type)?.status === 'True';
}

/** Every field of every condition, in order; `undefined` equals `[]`. For "write status only if it changed". */
export function conditionsEqual(a: readonly Condition[] | undefined, b: readonly Condition[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return (
    x.length === y.length &&
    x.every((c, i) => {
      const d = y[i];
      return (
        d !== undefined &&
        c.type === d.type &&
        c.status === d.status &&
        c.reason === d.reason &&
        c.message === d.message &&
        c.observedGeneration === d.observedGeneration &&
        c.lastTransitionTime === d.lastTransitionTime
      );
    })
  );
}

/** metav1.Time serialises to whole seconds; matching it keeps a re-read condition equal to the one written. */
function toMetaTime(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z');
}
