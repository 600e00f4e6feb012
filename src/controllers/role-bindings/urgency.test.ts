import { describe, expect, it } from 'vitest';
import { groupEventLane, membershipLane, userEventLane } from './urgency.ts';

describe('the lane of a RoleBindings change', () => {
  it('puts a user update or delete in the urgent lane and coalesces a new user', () => {
    expect(userEventLane('update')).toBe('urgent');
    expect(userEventLane('delete')).toBe('urgent');
    expect(userEventLane('add')).toBe('coalesced');
  });

  it('puts a group rename or delete in the urgent lane and coalesces a new group', () => {
    expect(groupEventLane('update')).toBe('urgent');
    expect(groupEventLane('delete')).toBe('urgent');
    expect(groupEventLane('add')).toBe('coalesced');
  });

  it('coalesces a membership change that only added members', () => {
    const groupsOf = (member: string) => (member === 'u1' || member === 'u2' ? ['staff', 'devs'] : []);
    expect(membershipLane('staff', ['u1', 'u2'], groupsOf)).toBe('coalesced');
  });

  it('puts a membership change that removed any member in the urgent lane', () => {
    const groupsOf = (member: string) => (member === 'u1' ? ['staff'] : ['devs']);
    expect(membershipLane('staff', ['u1', 'u2'], groupsOf)).toBe('urgent');
  });
});
