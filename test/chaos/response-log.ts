/** How one HTTP attempt of a SCIM client ended. */
export type Outcome =
  | { kind: 'status'; status: number; retryAfter?: string }
  | { kind: 'timeout' }
  | { kind: 'connection'; code: string };

export interface Attempt {
  client: number;
  /** What the client was doing, e.g. `create ada@example.com`, to trace one user's history. */
  label: string;
  replica: number;
  method: string;
  path: string;
  startedAt: number;
  endedAt: number;
  outcome: Outcome;
}

/** Every attempt of every client, in the order they ended. */
export class ResponseLog {
  readonly attempts: Attempt[] = [];

  record(attempt: Attempt): void {
    this.attempts.push(attempt);
  }

  withStatus(predicate: (status: number) => boolean): (Attempt & { outcome: { kind: 'status' } })[] {
    return this.attempts.filter(
      (a): a is Attempt & { outcome: { kind: 'status'; status: number } } =>
        a.outcome.kind === 'status' && predicate(a.outcome.status),
    );
  }

  count(kind: Outcome['kind']): number {
    return this.attempts.filter((a) => a.outcome.kind === kind).length;
  }
}

/** `7 attempts: 201×2 204×3 503×1 connection×1`, for the attempts that ended in [from, to]. */
export function summarizeAttempts(attempts: Attempt[], from: number, to: number): string {
  const counts = new Map<string, number>();
  const within = attempts.filter((a) => a.endedAt >= from && a.endedAt <= to);
  for (const a of within) {
    const key = a.outcome.kind === 'status' ? String(a.outcome.status) : a.outcome.kind;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const parts = [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k}×${n}`);
  return `${within.length} attempts${parts.length > 0 ? `: ${parts.join(' ')}` : ''}`;
}

/** One line per attempt with `label`, for the diagnosis of a failed invariant. */
export function traceOf(attempts: Attempt[], label: string): string[] {
  return attempts
    .filter((a) => a.label.endsWith(` ${label}`))
    .map((a) => {
      const outcome = a.outcome.kind === 'status' ? String(a.outcome.status) : a.outcome.kind;
      const time = (at: number) => new Date(at).toISOString().slice(11, 23);
      return `${time(a.startedAt)}–${time(a.endedAt)} replica ${a.replica} ${a.label}: ${outcome}`;
    });
}
