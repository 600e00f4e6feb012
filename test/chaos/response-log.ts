/** How one HTTP attempt of a SCIM client ended. */
export type Outcome =
  | { kind: 'status'; status: number; retryAfter?: string }
  | { kind: 'timeout' }
  | { kind: 'connection'; code: string };

export interface Attempt {
  client: number;
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
