import { describe, expect, it } from 'vitest';
import { acknowledgedWritesMissing, expectedSubjects, legitimate401, type Observed } from './invariants.ts';
import { Ledger, type UserRecord } from './ledger.ts';
import type { Attempt } from './response-log.ts';

function created(ledger: Ledger, userName: string, id: string): UserRecord {
  const user = ledger.addUser(userName, 0);
  user.id = id;
  ledger.acknowledge(user, 'exists', true);
  return user;
}

const seen = (exists: boolean, active: boolean, member: boolean): Observed => ({ exists, active, member });

describe('the chaos invariants', () => {
  it('report an acknowledged deactivation that the server does not hold', () => {
    const ledger = new Ledger();
    const ada = created(ledger, 'ada', '1');
    ledger.acknowledge(ada, 'active', false);
    expect(acknowledgedWritesMissing(ledger, new Map([[ada, seen(true, true, false)]]))).toEqual([
      'ada active=true, acknowledged false',
    ]);
    expect(acknowledgedWritesMissing(ledger, new Map([[ada, seen(true, false, false)]]))).toEqual([]);
  });

  it('judge an attribute whose last write is unacknowledged by what the server holds', () => {
    const ledger = new Ledger();
    const ada = created(ledger, 'ada', '1');
    ledger.acknowledge(ada, 'member', true);
    ledger.intend(ada, 'member', false);
    for (const member of [true, false]) {
      const observed = new Map([[ada, seen(true, true, member)]]);
      expect(acknowledgedWritesMissing(ledger, observed)).toEqual([]);
      expect(expectedSubjects(ledger, observed)).toEqual(new Set(member ? ['ada'] : []));
    }
  });

  it('expect the old id of a reprovisioned user to be gone and bind only the new one', () => {
    const ledger = new Ledger();
    const old = created(ledger, 'ada', '1');
    ledger.acknowledge(old, 'member', true);
    ledger.acknowledge(old, 'exists', false);
    const next = ledger.reprovision(old);
    next.id = '2';
    ledger.acknowledge(next, 'exists', true);
    const observed = new Map([
      [old, seen(true, true, true)],
      [next, seen(true, true, false)],
    ]);
    expect(acknowledgedWritesMissing(ledger, observed)).toEqual(['ada not deleted']);
    expect(expectedSubjects(ledger, observed)).toEqual(new Set());
  });

  it('accept a 401 only while the Secret was gone and the replica had seen it go', () => {
    const attempt = (at: number, replica = 0): Attempt => ({
      client: 0,
      label: 'list users',
      replica,
      method: 'GET',
      path: '/Users',
      startedAt: at - 10,
      endedAt: at,
      outcome: { kind: 'status', status: 401 },
    });
    const gaps = [{ deletedAt: 1_000, recreatedAt: 3_000 }];
    const samples = [
      { replica: 0, at: 500, knowsToken: true },
      { replica: 0, at: 1_200, knowsToken: false },
      { replica: 1, at: 1_200, knowsToken: true },
    ];
    expect(legitimate401(attempt(1_500), gaps, samples)).toBe(true);
    expect(legitimate401(attempt(1_500, 1), gaps, samples)).toBe(false);
    expect(legitimate401(attempt(600), gaps, samples)).toBe(false);
    expect(legitimate401(attempt(30_000), gaps, samples)).toBe(false);
  });
});
