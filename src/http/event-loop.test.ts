/**
 * The event loop stays free while the most expensive requests the endpoint accepts (and the hostile ones it refuses)
 * are in flight. Before the caps, one PATCH held the loop for ~28 s, `/healthz` went unanswered and the leader lost
 * its lease.
 *
 * Two measures, because the machine is shared (load averages of 8 on 2 cores are common) and wall-clock delays there
 * include the time the OS ran other processes:
 * - the longest synchronous block, in CPU time of the main thread between two ticks of a 5 ms timer: what the
 *   endpoint itself held the loop for, whatever the machine's load. One worst request at a time: under 100 ms (about
 *   35 ms measured). All of them at once: under 300 ms, since requests whose bodies arrive in the same poll phase
 *   run back to back (about 100 ms measured).
 * - a liveness probe on its own port (the probes server serves `/healthz` from the same process) and
 *   `monitorEventLoopDelay`, in wall-clock time, with a generous bound of 2 s: they catch a block of seconds.
 */

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../test/support/scim-test-server.ts';
import { limits } from '../scim/schemas.ts';
import {
  filterAtCaps,
  fullUser,
  groupPatchAtCaps,
  groupPostAtCaps,
  groupPostOverCap,
  projectionAtCaps,
  userPatchAtCaps,
  userPatchOverCap,
} from '../scim/worst-requests.test-support.ts';
import { createMemoryStore } from '../store/memory-store.ts';

/** Rounds of the whole set of worst requests, all sent at once each round. */
const ROUNDS = 3;
/** What each worst request must be answered: the accepted ones succeed, the hostile ones are refused. */
const ANSWERS = [200, 400, 400, 400, 400, 200, 200, 200];

let server: TestServer;
const probe = createServer((_req, res) => res.end('ok'));
let probeUrl: string;
let userId: string;
let groupId: string;

beforeAll(async () => {
  const store = createMemoryStore();
  server = await startTestServer({ store });
  // A full page of users with every multi-valued attribute full, for the listings to filter and project.
  for (let i = 0; i < limits.maxResults; i++) {
    await store.create({ connection: 'a' }, 'User', { ...fullUser(), userName: `user-${i}@example.com` });
  }
  const filter = encodeURIComponent('userName eq "user-0@example.com"');
  userId = (await server.call('GET', `/Users?filter=${filter}`)).body.Resources[0].id;
  groupId = (await server.call('POST', '/Groups', { body: { displayName: 'Worst' } })).body.id;
  probe.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => probe.once('listening', () => resolve()));
  probeUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}/healthz`;
}, 60_000);
afterAll(async () => {
  await server.close();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
});

/** The longest stretch of main-thread CPU time between two ticks of a short timer, in milliseconds. */
function blockMeter(): { stop(): number } {
  let longest = 0;
  let last = process.threadCpuUsage();
  const timer = setInterval(() => {
    const used = process.threadCpuUsage(last);
    longest = Math.max(longest, (used.user + used.system) / 1000);
    last = process.threadCpuUsage();
  }, 5);
  return {
    stop() {
      clearInterval(timer);
      return longest;
    },
  };
}

function worstRequests() {
  const requests: [string, string, unknown?][] = [
    ['PATCH', `/Users/${userId}`, userPatchAtCaps()],
    ['PATCH', `/Users/${userId}`, userPatchOverCap()],
    ['PATCH', `/Groups/${groupId}`, groupPatchAtCaps()],
    ['POST', '/Groups', groupPostAtCaps()],
    ['POST', '/Groups', groupPostOverCap()],
    ['GET', `/Users?filter=${encodeURIComponent(filterAtCaps())}`],
    ['GET', `/Users?attributes=${encodeURIComponent(projectionAtCaps().join(','))}`],
    ['GET', '/Users'],
  ];
  // Bodies are serialised before measuring: the client's own work is not the endpoint's.
  const bodies = requests.map(([, , body]) => (body === undefined ? undefined : JSON.stringify(body)));
  expect(bodies.every((body) => body === undefined || Buffer.byteLength(body) <= limits.maxBodyBytes)).toBe(true);
  const sendOne = (i: number) => {
    const [method, path] = requests[i]!;
    return server.call(method, path, bodies[i] === undefined ? {} : { body: bodies[i] });
  };
  return { count: requests.length, sendOne, sendAll: () => Promise.all(requests.map((_, i) => sendOne(i))) };
}

it('holds the event loop for less than 100 ms of CPU with any one worst request', async () => {
  const { count, sendOne, sendAll } = worstRequests();
  // One round unmeasured: the first run of each code path is interpreted and compiled, once per process.
  await sendAll();
  const blocks: string[] = [];
  for (let i = 0; i < count; i++) {
    let longest = 0;
    for (let run = 0; run < ROUNDS; run++) {
      const meter = blockMeter();
      expect((await sendOne(i)).status).toBe(ANSWERS[i]);
      longest = Math.max(longest, meter.stop());
    }
    blocks.push(longest.toFixed(1));
  }
  console.info(`longest block per worst request, ms CPU: ${blocks.join(', ')}`);
  for (const block of blocks) expect(Number(block)).toBeLessThan(100);
}, 60_000);

it('keeps answering a liveness probe while all the worst requests are in flight at once', async () => {
  const { sendAll } = worstRequests();
  await sendAll();

  const delay = monitorEventLoopDelay({ resolution: 10 });
  const meter = blockMeter();
  const probeLatencies: number[] = [];
  const statuses: number[][] = [];
  let inFlight = true;
  const probing = (async () => {
    while (inFlight) {
      const started = performance.now();
      await (await fetch(probeUrl)).text();
      probeLatencies.push(performance.now() - started);
    }
  })();
  delay.enable();
  for (let round = 0; round < ROUNDS; round++) statuses.push((await sendAll()).map((reply) => reply.status));
  inFlight = false;
  await probing;
  delay.disable();
  const longestBlockMs = meter.stop();

  const maxDelayMs = delay.max / 1e6;
  const maxProbeMs = Math.max(...probeLatencies);
  console.info(
    `all at once: longest block ${longestBlockMs.toFixed(1)} ms CPU; event-loop delay max ${maxDelayMs.toFixed(0)} ms ` +
      `wall; ${probeLatencies.length} probes, slowest ${maxProbeMs.toFixed(0)} ms wall`,
  );
  for (const round of statuses) expect(round).toEqual(ANSWERS);
  expect(probeLatencies.length).toBeGreaterThan(0);
  expect(longestBlockMs).toBeLessThan(300);
  expect(maxDelayMs).toBeLessThan(2000);
  expect(maxProbeMs).toBeLessThan(2000);
}, 60_000);
