import { CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createNamespace, createOurs, uniqueName } from '../support/cluster.ts';
import { startTestOperator, type TestOperator } from '../support/operator.ts';
import { reconciles, scrapeMetrics, waitUntilSettled } from '../support/operator-metrics.ts';

const USERS = 1000;
const GROUPS = 100;
const MAPPINGS = 50;

/** Runs `tasks` with at most `limit` in flight. */
async function pool<T>(items: T[], limit: number, task: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const index = next++;
        await task(items[index]!, index);
      }
    }),
  );
}

describe('a converged operator', () => {
  let op: TestOperator;
  beforeAll(async () => {
    op = await startTestOperator();
  });
  afterAll(async () => {
    await op?.stop();
  });

  it(`sends zero writes on a full resync with ${USERS} users, ${GROUPS} groups and ${MAPPINGS} mappings`, async () => {
    const namespaces = await Promise.all(Array.from({ length: 5 }, () => createNamespace(op.admin)));
    const userIds: string[] = [];
    await pool([...Array(USERS).keys()], 8, async (i) => {
      const res = await op.scim('POST', '/Users', {
        userName: `${uniqueName('steady')}-${i}@example.com`,
        active: true,
      });
      expect(res.status).toBe(201);
      userIds[i] = res.body.id;
    });
    const groupNames = Array.from({ length: GROUPS }, () => uniqueName('steady-group'));
    await pool(groupNames, 8, async (displayName, g) => {
      const members = userIds.slice(g * (USERS / GROUPS), (g + 1) * (USERS / GROUPS)).map((value) => ({ value }));
      const res = await op.scim('POST', '/Groups', { displayName, members });
      expect(res.status).toBe(201);
    });
    const objects = op.admin.makeApiClient(CustomObjectsApi);
    const mappingNames = Array.from({ length: MAPPINGS }, () => uniqueName('steady-map'));
    await pool(mappingNames, 4, async (name, m) => {
      await createOurs(op.admin, 'AccessMapping', name, {
        connection: op.connection,
        subjects: {
          groups: [{ displayName: groupNames[(2 * m) % GROUPS]! }, { displayName: groupNames[(2 * m + 1) % GROUPS]! }],
        },
        roleBindings: [{ clusterRole: m % 2 ? 'view' : 'edit', namespaces: [namespaces[m % 5]!] }],
      });
    });

    const ours = new Set([
      ...userIds.map((id) => `scimusers/${id}`),
      ...mappingNames.map((n) => `accessmappings/${n}`),
    ]);
    const ourWrites = () =>
      op.operator.controllers.writes.filter(
        (w) => ours.has(w.target) || mappingNames.some((n) => w.target.includes(`scim:${n}:`)),
      ).length;
    // Converged: every mapping Ready.
    await vi.waitFor(
      async () => {
        const list = (await objects.listClusterCustomObject({
          group: 'scim-operator.dev',
          version: 'v1alpha1',
          plural: 'accessmappings',
        })) as {
          items: {
            metadata: { name: string; generation: number };
            status?: { observedGeneration?: number; bindingCount?: number; conditions?: { status: string }[] };
          }[];
        };
        const mine = list.items.filter((m) => mappingNames.includes(m.metadata.name));
        expect(
          mine.length === MAPPINGS &&
            mine.every((m) => m.status?.conditions?.[0]?.status === 'True' && m.status.bindingCount === 1),
          'all mappings Ready',
        ).toBe(true);
      },
      { timeout: 120_000 },
    );
    await waitUntilSettled(op.operator.metricsUrl, { writes: () => op.operator.controllers.writes.length });

    const before = ourWrites();
    const requestsBefore = op.operator.controllers.writes.length;
    const reconcilesBefore = reconciles(await scrapeMetrics(op.operator.metricsUrl));
    op.operator.controllers.resync();
    // The resync enqueues every mapping, user and group: wait until each has been reconciled, then until nothing is
    // left to write, held writes included.
    await vi.waitFor(
      async () => {
        const samples = await scrapeMetrics(op.operator.metricsUrl);
        expect(reconciles(samples) - reconcilesBefore, 'reconciles since the resync').toBeGreaterThanOrEqual(
          MAPPINGS + USERS + GROUPS,
        );
      },
      { timeout: 120_000, interval: 200 },
    );
    await waitUntilSettled(op.operator.metricsUrl, { writes: () => op.operator.controllers.writes.length });
    const written = op.operator.controllers.writes
      .slice(requestsBefore)
      .filter((w) => ours.has(w.target) || mappingNames.some((n) => w.target.includes(`scim:${n}:`)));
    expect(written, 'writes during a resync of a converged state').toEqual([]);
    expect(ourWrites()).toBe(before);
  }, 300_000);
});
