import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { freePort } from '../../src/control-plane/control-plane.ts';
import { type RunningOperator, startOperator } from '../../src/main.ts';
import { createLogger } from '../../src/observability/logger.ts';
import type { Settings } from '../../src/settings.ts';
import { controlPlane } from '../support/cluster.ts';
import { prepareOperatorIdentity } from '../support/operator.ts';

/** A logger whose JSON lines the test can read. */
function capturedLogger() {
  const lines: Array<{ level: number; msg: string } & Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: createLogger('info', stream) };
}

async function get(url: string, token?: string) {
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), text: await res.text() };
}

describe('operator readiness', () => {
  const running: RunningOperator[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((o) => o.stop()));
  });

  // The identity's settings serve its own connection only: other files' operators share the cluster.
  async function start(
    kubeconfig: string,
    namespace: string,
    logger: ReturnType<typeof createLogger>,
    settings: Settings,
  ) {
    const operator = await startOperator(
      {
        kubeconfig,
        scimAddress: { host: '127.0.0.1', port: 0 },
        metricsAddress: { host: '127.0.0.1', port: 0 },
        tokenSecret: { namespace, name: 'scim-tokens' },
        logLevel: 'info',
        requestTimeoutMs: 30_000,
      },
      { logger, settings, onLeadershipLost: () => {} },
    );
    running.push(operator);
    return { operator, readyz: operator.metricsUrl.replace('/metrics', '/readyz') };
  }

  it('answers /readyz and SCIM 503 with Retry-After, never 401, while the API server is unreachable', async () => {
    const id = await prepareOperatorIdentity();
    const closedPort = await freePort();
    const kc = new KubeConfig();
    kc.loadFromFile(id.kubeconfig);
    const cluster = kc.getCurrentCluster();
    const closed = `https://127.0.0.1:${closedPort}`;
    const unreachable = new KubeConfig();
    unreachable.loadFromOptions({
      clusters: [{ ...cluster!, server: closed }],
      users: kc.users,
      contexts: kc.contexts,
      currentContext: kc.currentContext,
    });
    const file = path.join(controlPlane().pkiDir, `${id.namespace}-closed.kubeconfig`);
    await writeFile(file, unreachable.exportConfig(), { mode: 0o600 });
    const { lines, logger } = capturedLogger();

    const { operator, readyz } = await start(file, id.namespace, logger, id.settings);

    const ready = await get(readyz);
    expect(ready.status).toBe(503);
    expect(ready.text).toContain(`token-secret: token Secret ${id.namespace}/scim-tokens not read yet`);
    expect(ready.text).toContain(`informer scimusers: list/watch of scimusers at ${closed} failed: fetch failed:`);
    expect(ready.text).toContain('ECONNREFUSED');
    for (const token of [id.token, 'wrong', undefined]) {
      const reply = await get(`${operator.scimUrl}/Users`, token);
      expect(reply.status).toBe(503);
      expect(reply.retryAfter).toBe('10');
    }
    expect((await get(operator.metricsUrl)).text).toMatch(/^scim_operator_token_secret_state\{state="unknown"\} 1$/m);

    // Retries back off: nine informers and the token Secret fail; a 500 ms retry loop would log ~60 lines in 3 s.
    const failures = () => lines.filter((l) => String(l.msg).includes('failed:')).length;
    const after = failures();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(failures() - after).toBeLessThanOrEqual(10);
    const failure = lines.find((l) => String(l.msg).startsWith('list/watch of scimusers'));
    expect(failure).toMatchObject({ server: closed });
    expect(String(failure?.cause)).toMatch(/^fetch failed: connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
    expect(lines.some((l) => l.msg === 'scim-operator is serving')).toBe(false);
  });

  it('reports a missing token Secret in /readyz, a metric and the log, and serves once it is created', async () => {
    const id = await prepareOperatorIdentity();
    const core = id.admin.makeApiClient(CoreV1Api);
    await core.deleteNamespacedSecret({ namespace: id.namespace, name: 'scim-tokens' });
    const { lines, logger } = capturedLogger();

    const { operator, readyz } = await start(id.kubeconfig, id.namespace, logger, id.settings);

    await vi.waitFor(async () => {
      const ready = await get(readyz);
      expect(ready.status).toBe(503);
      expect(ready.text).toBe(`not ready:\n  token-secret: token Secret ${id.namespace}/scim-tokens does not exist\n`);
    }, 30_000);
    expect((await get(operator.metricsUrl)).text).toMatch(/^scim_operator_token_secret_state\{state="missing"\} 1$/m);
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 50,
        state: 'missing',
        msg: `SCIM tokens unusable: token Secret ${id.namespace}/scim-tokens does not exist`,
      }),
    );
    const refused = await get(`${operator.scimUrl}/Users`, id.token);
    expect(refused.status).toBe(503);
    expect(refused.retryAfter).toBe('10');

    await core.createNamespacedSecret({
      namespace: id.namespace,
      body: { metadata: { name: 'scim-tokens' }, stringData: { [id.connection]: id.token } },
    });
    await vi.waitFor(async () => expect((await get(readyz)).status).toBe(200), 30_000);
    expect((await get(`${operator.scimUrl}/Users`, id.token)).status).toBe(200);
    expect((await get(`${operator.scimUrl}/Users`, 'wrong')).status).toBe(401);
    expect((await get(operator.metricsUrl)).text).toMatch(/^scim_operator_token_secret_state\{state="ok"\} 1$/m);
    // The test identity's 24-byte token is below the 256-bit floor: accepted, counted and warned about.
    expect((await get(operator.metricsUrl)).text).toContain(
      `scim_operator_scim_weak_tokens{connection="${id.connection}"} 1`,
    );
    expect(
      lines.some((l) => l.level === 40 && String(l.msg).startsWith(`token key "${id.connection}" has about`)),
    ).toBe(true);
  });

  it("reports a token Secret it may not read as forbidden, with the API server's reason", async () => {
    const id = await prepareOperatorIdentity();
    // Without its namespaced RoleBinding the operator may not read its token Secret (nor its Lease).
    await id.admin
      .makeApiClient(RbacAuthorizationV1Api)
      .deleteNamespacedRoleBinding({ namespace: id.namespace, name: id.user });
    const { lines, logger } = capturedLogger();

    const { operator, readyz } = await start(id.kubeconfig, id.namespace, logger, id.settings);

    await vi.waitFor(async () => {
      const ready = await get(readyz);
      expect(ready.status).toBe(503);
      expect(ready.text).toContain(
        `token-secret: token Secret ${id.namespace}/scim-tokens cannot be read: 403 Forbidden: secrets "scim-tokens" is forbidden: User "${id.user}" cannot list`,
      );
    }, 30_000);
    expect((await get(operator.metricsUrl)).text).toMatch(/^scim_operator_token_secret_state\{state="forbidden"\} 1$/m);
    const refused = await get(`${operator.scimUrl}/Users`, id.token);
    expect([refused.status, refused.retryAfter]).toEqual([503, '10']);
    expect(lines).toContainEqual(expect.objectContaining({ level: 50, state: 'forbidden' }));
  });
});
