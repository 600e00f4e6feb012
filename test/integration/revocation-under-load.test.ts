import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createNamespace, createOurs, subjectCan, uniqueName } from '../support/cluster.ts';
import { startTestOperator, type TestOperator } from '../support/operator.ts';
import { queuesDrained, scrapeMetrics } from '../support/operator-metrics.ts';

const USERS = 600;
const FIRST_MEMBERS = 50;
const BATCH = 10;
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const WRITES = 'scim_operator_controller_api_writes_total';

/**
 * A deactivation during an initial sync (docs/adr/0022-revocation-first.md): member PATCHes keep arriving for a
 * large mapped group while one of its members is deactivated. The revocation takes the urgent lane, so it reaches
 * the authorizer while the grants are still streaming in, and the stream records one summary Event per reconcile of
 * the mapping, not one per member.
 */
describe('revocation while a large mapped group is being filled', () => {
  let op: TestOperator;
  let namespace = '';
  let groupId = '';
  const users: { id: string; userName: string }[] = [];

  const can = (userName: string) =>
    subjectCan(op.admin, { user: userName }, { namespace, verb: 'list', resource: 'pods' });
  const events = async () =>
    (await scrapeMetrics(op.operator.metricsUrl)).sum(WRITES, { verb: 'create', resource: 'events' });

  async function addMembers(ids: string[]): Promise<void> {
    const res = await op.scim('PATCH', `/Groups/${groupId}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'add', path: 'members', value: ids.map((value) => ({ value })) }],
    });
    expect(res.status).toBeLessThan(300);
  }

  beforeAll(async () => {
    op = await startTestOperator();
    namespace = await createNamespace(op.admin);
    const prefix = uniqueName('staff');
    for (let start = 0; start < USERS; start += 10) {
      const created = await Promise.all(
        Array.from({ length: Math.min(10, USERS - start) }, async (_, i) => {
          const userName = `${prefix}-${start + i}@example.com`;
          const res = await op.scim('POST', '/Users', { userName, active: true });
          expect(res.status).toBe(201);
          return { id: res.body.id as string, userName };
        }),
      );
      users.push(...created);
    }
    const group = await op.scim('POST', '/Groups', {
      displayName: prefix,
      members: users.slice(0, FIRST_MEMBERS).map((u) => ({ value: u.id })),
    });
    expect(group.status).toBe(201);
    groupId = group.body.id;
    await createOurs(op.admin, 'AccessMapping', prefix, {
      connection: op.connection,
      subjects: { groups: [{ displayName: prefix }] },
      roleBindings: [{ clusterRole: 'view', namespaces: [namespace] }],
    });
    await vi.waitFor(async () => expect(await can(users[0]!.userName)).toBe(true), { timeout: 60_000, interval: 200 });
  }, 240_000);

  afterAll(async () => {
    await op?.stop();
  });

  it('denies a deactivated member within seconds while member PATCHes to its group keep arriving', async () => {
    const target = users[0]!;
    const eventsBefore = await events();
    let patches = 0;
    const remaining = users.slice(FIRST_MEMBERS).map((u) => u.id);
    const stream = (async () => {
      for (let i = 0; i < remaining.length; i += BATCH) {
        await addMembers(remaining.slice(i, i + BATCH));
        patches++;
      }
    })();
    await vi.waitFor(() => expect(patches).toBeGreaterThanOrEqual(3), { timeout: 60_000, interval: 20 });
    const deactivated = await op.scim('PATCH', `/Users/${target.id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', path: 'active', value: false }],
    });
    expect(deactivated.status).toBe(200);
    const acknowledged = performance.now();
    await vi.waitFor(async () => expect(await can(target.userName)).toBe(false), { timeout: 15_000, interval: 20 });
    const elapsedMs = performance.now() - acknowledged;
    const patchesWhenDenied = patches;
    await stream;
    // Generous for a shared 2-core machine; the ordering below is the point.
    expect(elapsedMs, 'acknowledged -> SubjectAccessReview denies').toBeLessThan(10_000);
    expect(patchesWhenDenied, 'member PATCHes still arriving when the revocation landed').toBeLessThan(
      remaining.length / BATCH,
    );

    // The grants all land too, and the whole stream recorded at most one Event per member PATCH (per reconcile of
    // the mapping), not one per member.
    const last = users.at(-1)!;
    await vi.waitFor(async () => expect(await can(last.userName)).toBe(true), { timeout: 60_000, interval: 200 });
    expect(await can(target.userName)).toBe(false);
    await vi.waitFor(async () => expect(queuesDrained(await scrapeMetrics(op.operator.metricsUrl))).toBe(true), {
      timeout: 60_000,
      interval: 500,
    });
    const recorded = (await events()) - eventsBefore;
    expect(recorded, 'AccessChanged Events').toBeGreaterThanOrEqual(1);
    expect(recorded, 'AccessChanged Events').toBeLessThanOrEqual(patches + 1);
  }, 180_000);
});
