import { describe, expect, it } from 'vitest';
import { defaultSettings, user } from '../role-bindings/identity-fixtures.test-support.ts';
import { bindingSubjectKeys, membershipKeys, SubjectPeers } from './watches.ts';

const names = (keys: { kind: string; name: string }[]) => keys.map((k) => `${k.kind}:${k.name}`).sort();

describe('identity status event-to-key mapping', () => {
  const holders = new Map<string, string[]>([
    ['ada@example.com', ['u-ada', 'u-ada2']],
    ['ada.new@example.com', ['u-other']],
  ]);
  const usersWithSubject = (subject: string) => holders.get(subject) ?? [];

  it('sends a user change to the user and to every user sharing its subject', () => {
    const peers = new SubjectPeers(defaultSettings.subjects, usersWithSubject);
    expect(names(peers.keysFor(user('u-ada', 'ada@example.com'), 'add'))).toEqual([
      'ScimUser:u-ada',
      'ScimUser:u-ada2',
    ]);
  });

  it('after a rename, also sends it to the users sharing the old subject, who may stop being duplicates', () => {
    const peers = new SubjectPeers(defaultSettings.subjects, usersWithSubject);
    peers.keysFor(user('u-ada', 'ada@example.com'), 'add');
    expect(names(peers.keysFor(user('u-ada', 'ada.new@example.com'), 'update'))).toEqual([
      'ScimUser:u-ada',
      'ScimUser:u-ada2',
      'ScimUser:u-other',
    ]);
  });

  it('on deletion, sends it to the users of the subject it held', () => {
    const peers = new SubjectPeers(defaultSettings.subjects, usersWithSubject);
    peers.keysFor(user('u-ada', 'ada@example.com'), 'add');
    expect(names(peers.keysFor(user('u-ada', 'ada@example.com'), 'delete'))).toEqual([
      'ScimUser:u-ada',
      'ScimUser:u-ada2',
    ]);
  });

  it('sends a membership change to each changed member and not to the group, whose status holds no members', () => {
    expect(names(membershipKeys(new Set(['u-ada', 'u-bob'])))).toEqual(['ScimUser:u-ada', 'ScimUser:u-bob']);
  });

  it('sends a change of the bindings naming a subject to the users holding it', () => {
    expect(names(bindingSubjectKeys(['ada@example.com'], usersWithSubject))).toEqual([
      'ScimUser:u-ada',
      'ScimUser:u-ada2',
    ]);
  });
});
