import { describe, expect, it } from 'vitest';
import { parseSettings, SettingsError } from './settings.ts';

describe('operator settings', () => {
  it('gives every setting a default, so an empty file is valid', () => {
    const settings = parseSettings('');
    expect(settings.subjects).toMatchObject({
      mode: 'User',
      userAttribute: 'userName',
      userPrefix: '',
      lowercase: false,
    });
    expect(settings.bindings.maxSubjectsPerBinding).toBe(1000);
    expect(settings.roles.allowedClusterRoles).toEqual(['view', 'edit']);
    expect(settings.bindings.protectedNamespaces).toEqual(['kube-system', 'kube-public', 'kube-node-lease']);
    expect(settings.connections).toEqual([]);
  });

  it('reads a full file', () => {
    const settings = parseSettings(`
subjects: { mode: User, userAttribute: workEmail, userPrefix: "oidc:", lowercase: true }
bindings: { maxSubjectsPerBinding: 200 }
roles: { allowedClusterRoles: [view, edit], allowClusterRoleBindings: [] }
controllers: { workers: 4, resyncSeconds: 300 }
`);
    expect(settings.subjects.userPrefix).toBe('oidc:');
    expect(settings.bindings.maxSubjectsPerBinding).toBe(200);
    expect(settings.controllers.workers).toBe(4);
  });

  it.each([
    ['subjects: { userAttribute: mail }', /subjects\.userAttribute: Invalid option: expected one of/],
    ['bindings: { maxSubjectsPerBinding: 0 }', /bindings\.maxSubjectsPerBinding: Too small/],
    ['roles: { allowedClusterroles: [view] }', /roles\.allowedClusterroles: unknown key/],
    ['subject: {}', /subject: unknown key/],
    ['controllers: { workers: "many" }', /controllers\.workers: Invalid input: expected number/],
    ['subjects: [', /not valid YAML/],
  ])('names the bad key and the expected form for %s', (yaml, message) => {
    expect(() => parseSettings(yaml, 'config.yaml')).toThrow(SettingsError);
    expect(() => parseSettings(yaml, 'config.yaml')).toThrow(message);
  });
});
