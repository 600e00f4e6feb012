import { describe, expect, it } from 'vitest';
import type { Condition } from '../api/crd-builder.ts';
import { conditionsEqual, findCondition, isTrue, setCondition } from './conditions.ts';

const earlier = '2026-01-01T00:00:00Z';
const now = new Date('2026-02-03T04:05:06.789Z');
const ready: Condition = {
  type: 'Ready',
  status: 'True',
  reason: 'Synced',
  message: 'all bound',
  observedGeneration: 1,
  lastTransitionTime: earlier,
};
const synced: Condition = { ...ready, type: 'BindingsSynced' };

describe('setCondition', () => {
  it.each([
    {
      change: 'the same status with a new reason and message',
      next: { type: 'Ready', status: 'True' as const, reason: 'StillSynced', message: 'still bound' },
      lastTransitionTime: earlier,
    },
    {
      change: 'a new status',
      next: { type: 'Ready', status: 'False' as const, reason: 'BindFailed', message: 'forbidden' },
      lastTransitionTime: '2026-02-03T04:05:06Z',
    },
    {
      change: 'Unknown after True',
      next: { type: 'Ready', status: 'Unknown' as const, reason: 'Pending', message: '' },
      lastTransitionTime: '2026-02-03T04:05:06Z',
    },
  ])('lastTransitionTime changes only when the status changes: $change', ({ next, lastTransitionTime }) => {
    const [updated] = setCondition([ready], next, 7, now);
    expect(updated).toEqual({ ...next, observedGeneration: 7, lastTransitionTime });
  });

  it('appends a new condition type with now, in whole seconds like metav1.Time', () => {
    const result = setCondition(
      [ready],
      { type: 'BindingsSynced', status: 'False', reason: 'X', message: 'm' },
      2,
      now,
    );
    expect(result.map((c) => c.type)).toEqual(['Ready', 'BindingsSynced']);
    expect(result[1]?.lastTransitionTime).toBe('2026-02-03T04:05:06Z');
  });

  it('starts a list when there are no conditions yet', () => {
    const result = setCondition(
      undefined,
      { type: 'Ready', status: 'Unknown', reason: 'Pending', message: '' },
      0,
      now,
    );
    expect(result).toEqual([
      {
        type: 'Ready',
        status: 'Unknown',
        reason: 'Pending',
        message: '',
        observedGeneration: 0,
        lastTransitionTime: '2026-02-03T04:05:06Z',
      },
    ]);
  });

  it('keeps the order and the other conditions, and never mutates its input', () => {
    const input = [synced, ready];
    const frozen = structuredClone(input);
    const result = setCondition(input, { type: 'BindingsSynced', status: 'False', reason: 'X', message: 'm' }, 3, now);
    expect(input).toEqual(frozen);
    expect(result).not.toBe(input);
    expect(result.map((c) => c.type)).toEqual(['BindingsSynced', 'Ready']);
    expect(result[1]).toBe(ready);
  });

  it('always sets observedGeneration, even when nothing else changes', () => {
    const [updated] = setCondition(
      [ready],
      { type: 'Ready', status: 'True', reason: 'Synced', message: 'all bound' },
      9,
      now,
    );
    expect(updated?.observedGeneration).toBe(9);
    expect(conditionsEqual([ready], [updated!])).toBe(false);
  });
});

describe('conditionsEqual', () => {
  it.each([
    { a: undefined, b: [], equal: true },
    { a: [ready], b: [{ ...ready }], equal: true },
    { a: [ready], b: [{ ...ready, message: 'other' }], equal: false },
    { a: [ready], b: [{ ...ready, lastTransitionTime: '2026-01-01T00:00:01Z' }], equal: false },
    { a: [ready], b: [{ ...ready, observedGeneration: 2 }], equal: false },
    { a: [ready, synced], b: [synced, ready], equal: false },
    { a: [ready], b: [ready, synced], equal: false },
  ])('compares every field in order: %#', ({ a, b, equal }) => {
    expect(conditionsEqual(a, b)).toBe(equal);
  });

  it('finds a condition unchanged after setting it to what it already is with the same generation', () => {
    const next = setCondition(
      [ready],
      { type: 'Ready', status: 'True', reason: 'Synced', message: 'all bound' },
      1,
      now,
    );
    expect(conditionsEqual([ready], next)).toBe(true);
  });
});

describe('findCondition and isTrue', () => {
  it('read a condition by type, with absence meaning not true', () => {
    expect(findCondition([synced, ready], 'Ready')).toBe(ready);
    expect(findCondition(undefined, 'Ready')).toBeUndefined();
    expect(isTrue([ready], 'Ready')).toBe(true);
    expect(isTrue([{ ...ready, status: 'Unknown' }], 'Ready')).toBe(false);
    expect(isTrue([], 'Ready')).toBe(false);
  });
});
