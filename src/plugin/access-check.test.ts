import { describe, expect, it } from 'vitest';
import { describeCheck, pickCheck } from './access-check.ts';

describe('pickCheck', () => {
  it('takes the first rule with a concrete verb and resource', () => {
    expect(
      pickCheck([
        { apiGroups: [''], resources: ['pods/attach'], verbs: ['create'] },
        { apiGroups: ['apps'], resources: ['deployments', 'replicasets'], verbs: ['get', 'list'] },
      ]),
    ).toEqual({ verb: 'get', group: 'apps', resource: 'deployments' });
  });

  it('skips rules limited to named objects and non-resource rules', () => {
    expect(
      pickCheck([
        { nonResourceURLs: ['/healthz'], verbs: ['get'] },
        { apiGroups: [''], resources: ['configmaps'], resourceNames: ['one'], verbs: ['get'] },
        { apiGroups: [''], resources: ['secrets'], verbs: ['list'] },
      ]),
    ).toEqual({ verb: 'list', group: '', resource: 'secrets' });
  });

  it('falls back to get pods for a rule of wildcards, and finds nothing in an empty role', () => {
    expect(pickCheck([{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }])).toEqual({
      verb: 'get',
      group: '',
      resource: 'pods',
    });
    expect(pickCheck([])).toBeUndefined();
  });
});

describe('describeCheck', () => {
  it('reads like kubectl auth can-i', () => {
    expect(describeCheck({ verb: 'get', group: 'apps', resource: 'deployments' }, 'team-a')).toBe(
      'get deployments.apps -n team-a',
    );
    expect(describeCheck({ verb: 'list', group: '', resource: 'nodes' }, undefined)).toBe('list nodes (cluster)');
  });
});
