import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { AccessMetrics, writeLabels } from './access-metrics.ts';

describe('controller write metrics', () => {
  it.each([
    ['status', 'scimusers/u-ada', 'patch', 'scimusers/status'],
    ['status', 'accessmappings/devs', 'patch', 'accessmappings/status'],
    ['finalizer', 'scimusers/u-ada', 'patch', 'scimusers'],
    ['apply', 'RoleBinding/team/scim:devs:edit', 'apply', 'rolebindings'],
    ['delete', 'ClusterRoleBinding//scim:ops:view', 'delete', 'clusterrolebindings'],
    ['create', 'events', 'create', 'events'],
  ])('labels a %s of %s as %s %s', (verb, target, labelVerb, resource) => {
    expect(writeLabels(verb, target)).toEqual({ verb: labelVerb, resource });
  });

  it('counts writes in scim_operator_controller_api_writes_total by verb and resource', async () => {
    const registry = new Registry();
    const metrics = new AccessMetrics(registry);
    metrics.countWrite('status', 'scimusers/u-ada');
    metrics.countWrite('status', 'scimusers/u-bob');
    metrics.countWrite('apply', 'RoleBinding/team/scim:devs:edit');
    const text = await registry.metrics();
    expect(text).toContain('scim_operator_controller_api_writes_total{verb="patch",resource="scimusers/status"} 2');
    expect(text).toContain('scim_operator_controller_api_writes_total{verb="apply",resource="rolebindings"} 1');
  });
});
