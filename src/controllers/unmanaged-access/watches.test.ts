import { describe, expect, it } from 'vitest';
import { subjectKeys } from './watches.ts';

describe('unmanaged-access event-to-key mapping', () => {
  it('sends a binding change to every user holding a subject it names, once each', () => {
    const holders: Record<string, string[]> = { ada: ['u-ada'], shared: ['u-1', 'u-2'], nobody: [] };
    expect(subjectKeys(['ada', 'shared', 'nobody', 'ada'], (s) => holders[s] ?? [])).toEqual([
      { kind: 'ScimUser', name: 'u-ada' },
      { kind: 'ScimUser', name: 'u-1' },
      { kind: 'ScimUser', name: 'u-2' },
    ]);
  });
});
