import { describe, expect, it } from 'vitest';
import { mapping } from '../role-bindings/identity-fixtures.test-support.ts';
import { mappingConnection, servedConnections, withExplicitConnection } from './connection-scope.ts';

const spec = { subjects: { users: [{ userName: 'ada' }] }, clusterRoleBindings: [{ clusterRole: 'view' }] };

describe('servedConnections', () => {
  it('keeps serving a connection whose token was deleted while it still owns identities', () => {
    expect([...servedConnections([], [], ['dev'])]).toEqual(['dev']);
    expect([...servedConnections([], ['prod'], ['dev', 'prod'])].sort()).toEqual(['dev', 'prod']);
  });

  it('serves exactly the configured connections when some are configured, tokens or not', () => {
    expect([...servedConnections(['dev'], ['prod'], ['other'])]).toEqual(['dev']);
  });
});

describe('mappingConnection', () => {
  it('takes the one served connection for a mapping that names none', () => {
    expect(mappingConnection(mapping('m', spec), new Set(['dev']))).toEqual({ ok: true, connection: 'dev' });
  });

  it('requires a connection when several are served', () => {
    const out = mappingConnection(mapping('m', spec), new Set(['dev', 'prod']));
    expect(out).toMatchObject({ ok: false, reason: 'ConnectionRequired' });
    expect(out.ok === false && out.reason === 'ConnectionRequired' && out.message).toContain('dev, prod');
  });

  it('leaves a mapping of a connection it does not serve to the installation that does', () => {
    expect(mappingConnection(mapping('m', { ...spec, connection: 'b' }), new Set(['a']))).toEqual({
      ok: false,
      reason: 'NotServed',
    });
  });

  it('makes the connection explicit without changing a mapping that already names it', () => {
    const named = mapping('m', { ...spec, connection: 'dev' });
    expect(withExplicitConnection(named, new Set(['dev']))).toBe(named);
    expect(withExplicitConnection(mapping('m', spec), new Set(['dev']))?.spec.connection).toBe('dev');
    expect(withExplicitConnection(mapping('m', spec), new Set(['dev', 'prod']))).toBeUndefined();
  });
});
