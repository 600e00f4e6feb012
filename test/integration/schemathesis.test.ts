/**
 * schemathesis fuzzes the whole operator (SCIM endpoint over the Kubernetes store, controllers on and writing status)
 * on the real control plane, driven by the endpoint's own OpenAPI description at /scim/v2/openapi.json.
 *
 * Pinned run: schemathesis 4.32.5 (test/python-requirements.txt), seed 20261205, at most 15 examples per operation
 * in the fuzzing phase on top of the coverage phase's deterministic cases, then the stateful phase along the
 * document's links (the examples phase has nothing to run: the document has no examples); one worker and no example
 * database, so a run replays the same inputs. That is about 6,100 test cases over the 17 operations, 80-100 s on the
 * shared 2-core machine.
 *
 * Checks, as schemathesis names them: not_a_server_error (no 5xx, except 503, which the endpoint answers when the API
 * server is unreachable or too slow), response_headers_conformance (which makes that 503 carry Retry-After, as the
 * document requires), response_schema_conformance, status_code_conformance, content_type_conformance, and
 * unsupported_method with allow_header_conformance (a method the document does not list gets 405 with an Allow header
 * naming the ones it does). After the run the endpoint must still answer and the controllers must still turn a SCIM
 * change into status.
 */

import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { OPENAPI_PATH, openApiDocument } from '../../src/http/openapi.ts';
import { createNamespace, createOurs, uniqueName } from '../support/cluster.ts';
import { startTestOperator, type TestOperator } from '../support/operator.ts';
import { ensurePythonTools } from '../support/python-tools.ts';
import { readSchemathesisReports } from '../support/schemathesis-report.ts';

/** As pinned in test/python-requirements.txt; the numbers above were measured with it. */
const SCHEMATHESIS_VERSION = '4.32.5';
const SEED = 20261205;
const MAX_EXAMPLES = 15;
const CHECKS = [
  'not_a_server_error',
  'response_headers_conformance',
  'response_schema_conformance',
  'status_code_conformance',
  'content_type_conformance',
  'unsupported_method',
  'allow_header_conformance',
];
/** 503 is the endpoint's documented "retry later" (with Retry-After); any other 5xx is a server error. */
const CONFIG = `[checks.not_a_server_error]\nexpected-statuses = ["2xx", "3xx", "4xx", "503"]\n`;

interface UserStatus {
  grantCount?: number;
  bindingCount?: number;
  conditions?: { type: string; status: string; reason: string }[];
}

describe('schemathesis against the whole operator on the real control plane', () => {
  let op: TestOperator;
  let bin: string;
  let workDir: string;

  async function userStatus(id: string): Promise<UserStatus | undefined> {
    const user = (await op.admin.makeApiClient(CustomObjectsApi).getClusterCustomObject({
      group: 'scim-operator.dev',
      version: 'v1alpha1',
      plural: 'scimusers',
      name: id,
    })) as { status?: UserStatus };
    return user.status;
  }

  /** A group, and an AccessMapping that grants its members `view` in a namespace of their own. */
  async function mappedGroup(members: string[] = []): Promise<string> {
    const namespace = await createNamespace(op.admin);
    const group = await op.scim('POST', '/Groups', {
      displayName: uniqueName('fuzz-mapped'),
      members: members.map((value) => ({ value })),
    });
    expect(group.status).toBe(201);
    await createOurs(op.admin, 'AccessMapping', uniqueName('fuzz'), {
      connection: op.connection,
      subjects: { groups: [{ displayName: group.body.displayName }] },
      roleBindings: [{ clusterRole: 'view', namespaces: [namespace] }],
    });
    return group.body.id;
  }

  /**
   * A new user in a newly mapped group gets a RoleBinding, and its status says so: the controllers are working. Fresh
   * objects each time, since schemathesis may rename or delete any group of the connection.
   */
  async function expectControllersToReconcile(): Promise<void> {
    const user = await op.scim('POST', '/Users', { userName: `${uniqueName('fuzz-probe')}@example.com` });
    expect(user.status).toBe(201);
    await mappedGroup([user.body.id]);
    await vi.waitFor(
      async () => {
        const status = await userStatus(user.body.id);
        expect(status).toMatchObject({ grantCount: 1, bindingCount: 1 });
        expect(status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
      },
      { timeout: 30_000, interval: 200 },
    );
  }

  beforeAll(async () => {
    [bin, op] = await Promise.all([ensurePythonTools(), startTestOperator()]);
    workDir = await mkdtemp(path.join(tmpdir(), 'schemathesis-'));
    await writeFile(path.join(workDir, 'schemathesis.toml'), CONFIG);
    // Mapped groups in the connection, so the changes schemathesis makes give the controllers work to do.
    await expectControllersToReconcile();
  });

  afterAll(async () => {
    await op?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('finds no server error, no schema violation and no crash', async () => {
    const base = op.operator.scimUrl;
    const reportDir = path.join(workDir, 'report');
    const args = [
      '--config-file',
      path.join(workDir, 'schemathesis.toml'),
      'run',
      `${base}/openapi.json`,
      '--url',
      base,
      '--header',
      `Authorization: Bearer ${op.token}`,
      '--checks',
      CHECKS.join(','),
      '--seed',
      String(SEED),
      '--max-examples',
      String(MAX_EXAMPLES),
      '--workers',
      '1',
      '--generation-database',
      'none',
      '--request-timeout',
      '40',
      '--report',
      'junit,json,har',
      '--report-dir',
      reportDir,
      '--no-color',
    ];
    // Exit 1 means "some check failed": the reports say which. Anything else is schemathesis failing to run.
    const { stdout } = await promisify(execFile)(`${bin}/schemathesis`, args, {
      cwd: workDir,
      maxBuffer: 256 * 1024 * 1024,
      timeout: 540_000,
      env: { ...process.env, NO_COLOR: '1' },
    }).catch((err: { code?: unknown; stdout?: string; stderr?: string }) => {
      if (err.code !== 1) throw new Error(`schemathesis did not run: ${err.stderr || err.stdout}`, { cause: err });
      return { stdout: err.stdout ?? '' };
    });
    const run = await readSchemathesisReports(reportDir);
    const summary = [
      `schemathesis ${run.version}, seed ${run.seed}: ${run.testCases.generated} test cases over ` +
        `${run.operations.tested}/${run.operations.selected} operations, phases ${JSON.stringify(run.phases)}, ` +
        `statuses ${JSON.stringify(run.statuses)}`,
      ...run.failures,
    ].join('\n');
    console.log(summary);

    expect(run.version).toBe(SCHEMATHESIS_VERSION);
    expect(run.seed).toBe(SEED);
    expect(run.failures, summary).toEqual([]);
    expect(run.exitCode, `${summary}\n${stdout.slice(-4000)}`).toBe(0);
    // schemathesis leaves out the operation that serves the document it loaded (`total` is 17 of our 18).
    const { [OPENAPI_PATH]: _self, ...paths } = openApiDocument(base).paths as Record<string, object>;
    const described = Object.values(paths).flatMap(Object.keys).length;
    expect(run.operations).toMatchObject({ selected: described, tested: described, errored: 0 });
    expect(run.testCases.generated).toBeGreaterThan(1000);
    expect(run.phases).toMatchObject({ coverage: 'success', fuzzing: 'success', stateful: 'success' });

    const config = await fetch(`${base}/ServiceProviderConfig`, { headers: { authorization: `Bearer ${op.token}` } });
    expect(config.status).toBe(200);
    expect(op.operator.isLeader()).toBe(true);
    await expectControllersToReconcile();
  }, 600_000);
});
