import { defineConfig } from 'vitest/config';

// `unit` runs pure tests beside the code; `integration` runs the cross-module suites in test/ against one real
// control plane per run, started by test/support/global-setup.ts. `e2e` exists only when scripts/e2e-kind.sh
// points it at a deployed operator, so a plain run never counts it as skipped.
export default defineConfig({
  test: {
    projects: [
      ...(process.env.E2E_SCIM_URL
        ? [{ test: { name: 'e2e', include: ['test/e2e/**/*.e2e.test.ts'], testTimeout: 120_000 } }]
        : []),
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: ['test/e2e/**/*.e2e.test.ts', 'test/scale/**', 'test/chaos/**', 'test/node/**'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          fileParallelism: true,
          maxWorkers: 2,
        },
      },
      {
        // Faults against its own control plane (it pauses and restarts it, so it cannot share the integration
        // suites' one): alone, after the integration suites. See docs/reliability.md.
        test: {
          name: 'chaos',
          include: ['test/chaos/**/*.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        // The chart on a local node (containerd + kubelet, docs/local-node.md): root only, its own control plane,
        // after the integration suites (see package.json test:all).
        test: {
          name: 'node',
          include: ['test/node/**/*.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 1_200_000,
          fileParallelism: false,
        },
      },
      {
        // The 100,000-member group: alone, after the integration suites (see package.json test:all).
        test: {
          name: 'scale',
          include: ['test/scale/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 900_000,
          hookTimeout: 900_000,
        },
      },
    ],
  },
});
