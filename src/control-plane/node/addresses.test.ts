import { describe, expect, it } from 'vitest';
import { rangeInUse } from './addresses.ts';

describe('the run range check', () => {
  it('finds the range in an interface address or a route, and nothing else', () => {
    expect(rangeInUse('4: eth0    inet 10.213.5.2/24 brd 10.213.5.255 scope global eth0')).toBe(true);
    expect(rangeInUse('10.213.0.0/16 via 192.0.2.1 dev eth0')).toBe(true);
    expect(
      rangeInUse('default via 192.0.2.1 dev eth0\n192.0.2.0/24 dev eth0 proto kernel scope link src 192.0.2.2'),
    ).toBe(false);
    expect(rangeInUse('inet 110.213.0.1/24')).toBe(false);
  });
});
