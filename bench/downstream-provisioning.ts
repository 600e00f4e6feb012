/**
 * Provisioning N users (1,000 at BENCH_SCALE=1) into one DownstreamApp: scim2-server (PyPI) behind a counting
 * proxy, the whole operator in-process as its non-admin identity. The users exist first; one AccessMapping then
 * assigns all of them, and the clock runs until every account exists downstream. Goal: at most 2 downstream
 * requests per new user (the matching filter and the create).
 */

import { CoreV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { operatorNamespaceRole } from '../src/api/operator-rbac.ts';
import { startFaultProxy } from '../test/support/fault-proxy.ts';
import { createOurs } from '../test/support/our-objects.ts';
import { startScim2Server } from '../test/support/scim2-server.ts';
import { prepareOperatorIdentity, startBenchCluster, uniqueName } from './support/cluster.ts';
import { elapsedMs, inParallel, log, now, printResults, scaled } from './support/measure.ts';
import { startBenchOperator, untilIdle } from './support/operator.ts';

const USERS = scaled(1000, 20);
const SECRET = 'downstream-credentials';
const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';

const cluster = await startBenchCluster();
const server = await startScim2Server(['bench-token']);
const proxy = await startFaultProxy(server.url);
try {
  const identity = await prepareOperatorIdentity(cluster, `downstream: { secretNames: [${SECRET}] }`);
  // bench/support's identity predates downstream credentials: grant the Secret by name, as the tests' Role does.
  await cluster.admin.makeApiClient(RbacAuthorizationV1Api).replaceNamespacedRole({
    name: identity.user,
    namespace: identity.namespace,
    body: operatorNamespaceRole({
      name: identity.user,
      namespace: identity.namespace,
      tokenSecretName: 'scim-tokens',
      allowedClusterRoles: [],
      allowedRoles: [],
      downstreamSecretNames: [SECRET],
    }),
  });
  await cluster.admin.makeApiClient(CoreV1Api).createNamespacedSecret({
    namespace: identity.namespace,
    body: { metadata: { name: SECRET }, stringData: { token: 'bench-token' } },
  });
  const { operator, call } = await startBenchOperator(identity);
  const app = uniqueName('bench-app');
  await createOurs(cluster.admin, 'DownstreamApp', app, {
    url: `${proxy.url}/v2`,
    connection: identity.connection,
    tls: { insecureHttp: true },
    auth: { bearer: { token: { name: SECRET, key: 'token' } } },
    limits: { requestsPerSecond: 1000, burst: 100, maxConcurrent: 8 },
  });

  log(`creating ${USERS} users through SCIM`);
  const prefix = uniqueName('u');
  const userNames = Array.from({ length: USERS }, (_, i) => `${prefix}-${i}@example.com`);
  await inParallel(USERS, 16, async (i) => {
    const reply = await call('POST', '/Users', {
      schemas: [USER_SCHEMA],
      userName: userNames[i],
      displayName: `User ${i}`,
      name: { givenName: 'User', familyName: String(i) },
      emails: [{ value: userNames[i], primary: true }],
      active: true,
    });
    if (reply.status !== 201) throw new Error(`POST /Users answered ${reply.status}`);
  });
  await untilIdle(operator, 2000);

  const before = proxy.requests.length;
  log('assigning them all to the app');
  const started = now();
  await createOurs(cluster.admin, 'AccessMapping', uniqueName('bench-mapping'), {
    connection: identity.connection,
    subjects: { users: userNames.map((userName) => ({ userName })) },
    apps: [{ name: app }],
  });
  let created = 0;
  for (;;) {
    const list = await server.request('GET', '/Users?count=1&attributes=id');
    created = list.body.totalResults as number;
    if (created >= USERS) break;
    if (elapsedMs(started) > 600_000) throw new Error(`only ${created} of ${USERS} accounts after 10 minutes`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const seconds = elapsedMs(started) / 1000;
  await untilIdle(operator, 3000);
  const sent = proxy.requests.slice(before).filter((r) => r.path.startsWith('/v2/Users'));
  const accountRequests = sent.filter((r) => !r.path.startsWith('/v2/Users?count=1'));
  const byMethod = new Map<string, number>();
  for (const r of accountRequests) byMethod.set(r.method, (byMethod.get(r.method) ?? 0) + 1);
  const perUser = accountRequests.length / USERS;
  const list = await server.request('GET', `/Users?count=1&filter=${encodeURIComponent(`userName sw "${prefix}"`)}`);
  printResults(
    `Downstream provisioning: ${USERS} users into one app (scim2-server)`,
    [
      { metric: 'throughput', measured: `${(USERS / seconds).toFixed(1)} accounts/s (${seconds.toFixed(1)} s)` },
      {
        metric: 'downstream requests per new user',
        goal: '<= 2',
        measured: `${perUser.toFixed(2)} (${[...byMethod].map(([m, n]) => `${m} ${n}`).join(', ')})`,
        met: perUser <= 2,
      },
      {
        metric: 'accounts downstream',
        goal: `${USERS}, no duplicates`,
        measured: String(list.body.totalResults),
        met: list.body.totalResults === USERS,
      },
    ],
    ['scim2-server is a single-threaded WSGI server; maxConcurrent 8, no rate limit in effect'],
  );
  await operator.stop();
} finally {
  await proxy.close();
  await server.stop();
  await cluster.stop();
}
