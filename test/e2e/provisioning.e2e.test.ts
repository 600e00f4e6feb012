import { KubeConfig } from '@kubernetes/client-node';
import { describe, it } from 'vitest';
import { provisioningScenario } from './provisioning-scenario.ts';

// Runs only from scripts/e2e-kind.sh, which sets these variables; vitest.config.ts adds the `e2e` project then.
describe('the operator deployed by the Helm chart on a kind cluster', () => {
  it('provisions a user into a group, grants the mapped role, and revokes it on deactivation', async () => {
    const admin = new KubeConfig();
    admin.loadFromFile(process.env.E2E_KUBECONFIG!);
    await provisioningScenario({
      scimUrl: process.env.E2E_SCIM_URL!,
      token: process.env.E2E_TOKEN!,
      connection: process.env.E2E_CONNECTION ?? 'entra',
      admin,
    });
  }, 120_000);
});
