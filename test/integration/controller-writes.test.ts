import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createNamespace, createOurs, uniqueName } from '../support/cluster.ts';
import { startTestOperator, type TestOperator } from '../support/operator.ts';
import { type MetricSamples, reconciles, scrapeMetrics, waitUntilSettled } from '../support/operator-metrics.ts';

const WRITES = 'scim_operator_controller_api_writes_total';
const NEW_MEMBERS = 5;

interface UserStatus {
  grantCount?: number;
  conditions?: { type: string; reason: string }[];
}

/**
 * What the controllers write to the API server for each kind of SCIM change, counted by the operator's
 * `scim_operator_controller_api_writes_total` (docs/adr/0021-status-writes.md): nothing for a change that alters no
 * access, one status write per user whose access changes.
 */
describe('controller API writes per SCIM change', () => {
  let op: TestOperator;
  let objects: CustomObjectsApi;
  let mappedGroupId: string;
  let unmappedGroupId: string;
  let adaId: string;
  let mappingName = '';
  const newMemberIds: string[] = [];

  const scrape = () => scrapeMetrics(op.operator.metricsUrl);
  const writes = (samples: MetricSamples) => samples.sum(WRITES);
  const userStatus = async (id: string) =>
    (
      (await objects.getClusterCustomObject({
        group: 'scim-operator.dev',
        version: 'v1alpha1',
        plural: 'scimusers',
        name: id,
      })) as {
        status?: UserStatus;
      }
    ).status;
  const ready = (status: UserStatus | undefined) => status?.conditions?.find((c) => c.type === 'Ready')?.reason;

  async function scimUser(prefix: string): Promise<string> {
    const res = await op.scim('POST', '/Users', { userName: `${uniqueName(prefix)}@example.com`, active: true });
    expect(res.status).toBe(201);
    return res.body.id;
  }

  async function addMember(groupId: string, userId: string): Promise<void> {
    const res = await op.scim('PATCH', `/Groups/${groupId}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'add', path: 'members', value: [{ value: userId }] }],
    });
    expect(res.status).toBeLessThan(300);
  }

  /**
   * Waits until the identity controller has reconciled more than `after` times (the change reached it), then until
   * the controllers are idle (`waitUntilSettled`). Returns the writes.
   */
  async function settledAfter(after: number): Promise<number> {
    await vi.waitFor(async () => expect(reconciles(await scrape(), 'scimidentity')).toBeGreaterThan(after), {
      timeout: 30_000,
    });
    return writes(await waitUntilSettled(op.operator.metricsUrl, { writes, timeoutMs: 60_000 }));
  }

  beforeAll(async () => {
    op = await startTestOperator();
    objects = op.admin.makeApiClient(CustomObjectsApi);
    const namespace = await createNamespace(op.admin);
    adaId = await scimUser('ada');
    for (let i = 0; i < NEW_MEMBERS; i++) newMemberIds.push(await scimUser('newcomer'));
    const mapped = await op.scim('POST', '/Groups', { displayName: uniqueName('mapped'), members: [{ value: adaId }] });
    const unmapped = await op.scim('POST', '/Groups', { displayName: uniqueName('unmapped') });
    expect([mapped.status, unmapped.status]).toEqual([201, 201]);
    mappedGroupId = mapped.body.id;
    unmappedGroupId = unmapped.body.id;
    mappingName = uniqueName('writes');
    await createOurs(op.admin, 'AccessMapping', mappingName, {
      connection: op.connection,
      subjects: { groups: [{ displayName: mapped.body.displayName }] },
      roleBindings: [{ clusterRole: 'view', namespaces: [namespace] }],
    });
    // Every user has its first status (the newcomers' after the delay for users without access), ada her grant.
    await vi.waitFor(
      async () => {
        expect((await userStatus(adaId))?.grantCount, 'ada granted').toBe(1);
        for (const id of newMemberIds) expect(ready(await userStatus(id)), `${id} Ready`).toBe('Provisioned');
        for (const id of [mappedGroupId, unmappedGroupId]) {
          const group = (await objects.getClusterCustomObject({
            group: 'scim-operator.dev',
            version: 'v1alpha1',
            plural: 'scimgroups',
            name: id,
          })) as { status?: UserStatus };
          expect(ready(group.status), `group ${id} Ready`).toBe('Provisioned');
        }
      },
      { timeout: 60_000, interval: 500 },
    );
  });

  afterAll(async () => {
    await op?.stop();
  });

  it('writes nothing for an attribute-only PATCH of a user (displayName, emails, title)', async () => {
    const samples = await scrape();
    const before = writes(samples);
    const patched = await op.scim('PATCH', `/Users/${adaId}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [
        { op: 'replace', path: 'displayName', value: 'Ada Lovelace' },
        { op: 'replace', path: 'title', value: 'Analyst' },
        { op: 'replace', path: 'emails', value: [{ value: 'ada@example.org', type: 'work', primary: true }] },
      ],
    });
    expect(patched.status).toBe(200);
    expect(await settledAfter(reconciles(samples, 'scimidentity'))).toBe(before);
    expect((await userStatus(adaId))?.grantCount).toBe(1);
  });

  it('writes nothing when a user joins a group no mapping selects', async () => {
    const samples = await scrape();
    const before = writes(samples);
    await addMember(unmappedGroupId, adaId);
    expect(await settledAfter(reconciles(samples, 'scimidentity'))).toBe(before);
  });

  it(`writes the bindings and each new member's status once for ${NEW_MEMBERS} member adds to a mapped group`, async () => {
    const samples = await scrape();
    const before = writes(samples);
    const eventsBefore = samples.sum(WRITES, { verb: 'create', resource: 'events' });
    const logged = op.operator.controllers.writes.length;
    for (const id of newMemberIds) await addMember(mappedGroupId, id);
    await vi.waitFor(
      async () => {
        for (const id of newMemberIds) expect((await userStatus(id))?.grantCount, `${id} granted`).toBe(1);
        // The mapping's subject count, written coalesced (MAPPING_COUNT_WRITE_INTERVAL_MS), has caught up too.
        const mapping = (await objects.getClusterCustomObject({
          group: 'scim-operator.dev',
          version: 'v1alpha1',
          plural: 'accessmappings',
          name: mappingName,
        })) as { status?: { subjectCount?: number } };
        expect(mapping.status?.subjectCount, 'subjects counted').toBe(1 + NEW_MEMBERS);
      },
      { timeout: 30_000, interval: 200 },
    );
    const total = await settledAfter(reconciles(samples, 'scimidentity'));
    const events = (await scrape()).sum(WRITES, { verb: 'create', resource: 'events' }) - eventsBefore;
    const sent = op.operator.controllers.writes.slice(logged);
    const statusWrites = sent.filter((w) => w.verb === 'status' && w.target.startsWith('scimusers/'));
    const bindingWrites = sent.filter((w) => w.target.startsWith('RoleBinding/'));
    expect(statusWrites.map((w) => w.target).sort()).toEqual(newMemberIds.map((id) => `scimusers/${id}`).sort());
    expect(bindingWrites.length, 'binding applies').toBeGreaterThanOrEqual(1);
    expect(bindingWrites.length, 'binding applies').toBeLessThanOrEqual(NEW_MEMBERS);
    // The mapping's subject count: at most one write at once and one coalesced; nothing else is written. Except the
    // status of other test files' DownstreamApps: an app without a connection is served by every operator on the
    // API server, and the operators of files running beside this one write its status too (two installations
    // disagree about it; seen once in CI, left as a known issue).
    const others = sent.filter(
      (w) => !statusWrites.includes(w) && !bindingWrites.includes(w) && !w.target.startsWith('downstreamapps/'),
    );
    expect(others.map((w) => w.target)).toEqual(others.map(() => `accessmappings/${mappingName}`));
    expect(others.length, 'mapping status writes').toBeLessThanOrEqual(2);
    // At most one AccessChanged Event per reconcile of the mapping that changed access (docs/adr/0022), counted by the
    // metric but not in the write log; the audit trail per user is the log line.
    expect(events, 'AccessChanged Events').toBeGreaterThanOrEqual(1);
    expect(events, 'AccessChanged Events').toBeLessThanOrEqual(NEW_MEMBERS);
    expect(total - before, 'the counter agrees with the write log and the Events').toBe(sent.length + events);
  });

  it('records one AccessChanged Event on the mapping for one membership change', async () => {
    const samples = await scrape();
    const eventsBefore = samples.sum(WRITES, { verb: 'create', resource: 'events' });
    const leaving = newMemberIds[1]!;
    const res = await op.scim('PATCH', `/Groups/${mappedGroupId}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'remove', path: `members[value eq "${leaving}"]` }],
    });
    expect(res.status).toBeLessThan(300);
    await vi.waitFor(async () => expect((await userStatus(leaving))?.grantCount ?? 0).toBe(0), { timeout: 30_000 });
    await settledAfter(reconciles(samples, 'scimidentity'));
    const events = (await scrape()).sum(WRITES, { verb: 'create', resource: 'events' }) - eventsBefore;
    expect(events, 'Events for one membership change').toBe(1);
    const list = await op.admin.makeApiClient(CoreV1Api).listNamespacedEvent({
      namespace: op.namespace,
      fieldSelector: `involvedObject.name=${mappingName},reason=AccessChanged`,
    });
    expect(
      list.items.some((e) => e.involvedObject.kind === 'AccessMapping' && /^revoked 1 user/.test(e.message ?? '')),
    ).toBe(true);
  });

  it("writes a deactivation's status at once: Ready Inactive and no grants", async () => {
    const samples = await scrape();
    const target = newMemberIds[0]!;
    const patched = await op.scim('PATCH', `/Users/${target}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', value: { active: false } }],
    });
    expect(patched.status).toBe(200);
    await vi.waitFor(
      async () => {
        const status = await userStatus(target);
        expect(ready(status)).toBe('Inactive');
        expect(status?.grantCount).toBe(0);
      },
      { timeout: 5_000, interval: 100 },
    );
    await settledAfter(reconciles(samples, 'scimidentity'));
  });
});
