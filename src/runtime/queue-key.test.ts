import { describe, expect, it } from 'vitest';
import { taggedKeys } from './queue-key.ts';

describe('taggedKeys', () => {
  const keys = taggedKeys(['ScimUser', 'DownstreamApp']);

  it('round-trips a key, whatever its name holds', () => {
    for (const key of [
      { kind: 'ScimUser', name: 'u-1' },
      { kind: 'DownstreamApp', name: 'a/b:c' },
    ] as const)
      expect(keys.parse(keys.format(key))).toEqual(key);
  });

  it('keeps two kinds with the same name apart in the queue', () => {
    expect(keys.format({ kind: 'ScimUser', name: 'x' })).not.toBe(keys.format({ kind: 'DownstreamApp', name: 'x' }));
  });

  it('refuses text that is not one of its keys', () => {
    expect(() => keys.parse('User/u-1')).toThrow(/not a queue key/);
    expect(() => keys.parse('ScimGroup:g-1')).toThrow(/not a queue key/);
  });
});
