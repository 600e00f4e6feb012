import { ApiException, KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Clock } from './clock.ts';
import {
  createInformer,
  type InformerError,
  LAST_APPLIED_ANNOTATION,
  type ListWatchLike,
  MAX_BACKOFF_MS,
  MIN_BACKOFF_MS,
  slimForCache,
} from './informer.ts';

const fakeTimerClock: Clock = {
  now: () => Date.now(),
  date: () => new Date(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

type Obj = KubernetesObject;
type Verb = 'add' | 'update' | 'delete' | 'error';

/** A ListWatch that lists through the informer's list function and reports a failed list as client-node does. */
function fakeListWatch() {
  const handlers: Record<Verb, Array<(o: never) => void>> = { add: [], update: [], delete: [], error: [] };
  const objects = new Map<string, Obj>();
  let listFn: (() => Promise<KubernetesListObject<Obj>>) | undefined;
  let stops = 0;
  const listWatch: ListWatchLike<Obj> = {
    async start() {
      let listed: KubernetesListObject<Obj>;
      try {
        listed = await listFn!();
      } catch (err) {
        for (const h of handlers.error) h(err as never);
        return;
      }
      for (const item of listed.items) {
        objects.set(item.metadata?.name ?? '', item);
        for (const h of handlers.add) h(item as never);
      }
    },
    async stop() {
      stops++;
    },
    on: (verb, cb) => void handlers[verb].push(cb as (o: never) => void),
    get: (name) => objects.get(name),
    list: () => [...objects.values()],
  };
  return {
    factory: (list: () => Promise<KubernetesListObject<Obj>>) => {
      listFn = list;
      return listWatch;
    },
    /** A watch event, applied as ListWatch applies it: stored first, then handed to the handlers. */
    watchEvent: (verb: 'add' | 'update', obj: Obj) => {
      objects.set(obj.metadata?.name ?? '', obj);
      for (const h of handlers[verb]) h(obj as never);
    },
    /** How often the informer stopped the ListWatch. */
    stops: () => stops,
    /** A watch that breaks after the list, as a dropped connection does. */
    failWatch: (err: unknown) => {
      for (const h of handlers.error) h(err as never);
    },
  };
}

const forbidden = () =>
  new ApiException(
    403,
    'Unknown API Status Code!',
    JSON.stringify({
      kind: 'Status',
      status: 'Failure',
      reason: 'Forbidden',
      message: 'secrets is forbidden: User "x" cannot list resource "secrets"',
      code: 403,
    }),
    { 'content-type': 'application/json', 'audit-id': 'abc' },
  );
const refused = () =>
  new TypeError('fetch failed', {
    cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
      code: 'ECONNREFUSED',
      address: '127.0.0.1',
      port: 1,
    }),
  });

function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:1', skipTLSVerify: true }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
  return kc;
}

const nextMacrotask = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('createInformer', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function informer(list: () => Promise<KubernetesListObject<Obj>>) {
    const fake = fakeListWatch();
    const reports: Array<{ message: string; reason: string; restartInMs: number }> = [];
    const recoveries: number[] = [];
    const listCalls = vi.fn(list);
    const cache = createInformer<Obj>(kubeConfig(), '/api/v1/secrets', listCalls, {
      name: 'secrets',
      listWatch: fake.factory,
      clock: fakeTimerClock,
    });
    cache.onError(
      (err: InformerError, restartInMs) => reports.push({ message: err.message, reason: err.reason, restartInMs }),
      () => recoveries.push(Date.now()),
    );
    return { cache, fake, reports, recoveries, listCalls };
  }

  it('counts as synced only once a list has completed, not when start() returns after a failed list', async () => {
    let fail = true;
    const { cache } = informer(async () => {
      if (fail) throw refused();
      return { items: [{ metadata: { name: 'a' } }], metadata: { resourceVersion: '7' } };
    });
    await cache.start();
    await nextMacrotask();
    expect(cache.hasSynced()).toBe(false);
    fail = false;
    await vi.advanceTimersByTimeAsync(MIN_BACKOFF_MS);
    await nextMacrotask();
    expect(cache.hasSynced()).toBe(true);
    expect(cache.get('a')).toEqual({ metadata: { name: 'a' } });
    await cache.stop();
  });

  it('never stops or restarts a healthy list+watch on a timer', async () => {
    // A timed stop()+start() of client-node's ListWatch races with the aborted watch's `done`, which then aborts the
    // new watch: a loop of AbortErrors that kept the member-shard cache failing through a 100,000-user run.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    const { cache, fake, listCalls, reports } = informer(async () => ({ items: [], metadata: {} }));
    await cache.start();
    await vi.advanceTimersByTimeAsync(60 * 60_000);
    expect(listCalls).toHaveBeenCalledTimes(1);
    expect(fake.stops()).toBe(0);
    expect(reports).toEqual([]);
    await cache.stop();
    expect(fake.stops()).toBe(1);
  });

  it('names the API server and gives a one-line cause without the response body or headers', async () => {
    const { cache, reports } = informer(async () => {
      throw forbidden();
    });
    await cache.start();
    expect(reports).toHaveLength(1);
    expect(reports[0]?.message).toBe(
      'list/watch of secrets at https://127.0.0.1:1 failed: 403 Forbidden: secrets is forbidden: User "x" cannot list resource "secrets"',
    );
    expect(cache.failure()?.reason).toMatch(/^403 Forbidden/);
    await cache.stop();
  });

  it('retries with exponential backoff up to a cap', async () => {
    const { cache, listCalls } = informer(async () => {
      throw refused();
    });
    await cache.start();
    const retriedAt: number[] = [];
    const started = Date.now();
    listCalls.mockImplementation(async () => {
      retriedAt.push(Date.now() - started);
      throw refused();
    });
    await vi.advanceTimersByTimeAsync(200_000);
    const gaps = retriedAt.map((t, i) => t - (retriedAt[i - 1] ?? 0));
    expect(gaps.slice(0, 7)).toEqual([500, 1000, 2000, 4000, 8000, 16_000, MAX_BACKOFF_MS]);
    expect(new Set(gaps.slice(6))).toEqual(new Set([MAX_BACKOFF_MS]));
    await cache.stop();
  });

  it('reports a lasting failure once, again when its cause changes, then at most once a minute', async () => {
    let cause: () => Error = refused;
    const { cache, reports } = informer(async () => {
      throw cause();
    });
    await cache.start();
    await vi.advanceTimersByTimeAsync(40_000); // 7 attempts within 40 s
    expect(reports).toHaveLength(1);
    cause = forbidden;
    await vi.advanceTimersByTimeAsync(30_000);
    expect(reports.map((r) => r.reason.slice(0, 13))).toEqual(['fetch failed:', '403 Forbidden']);
    expect(reports[0]?.reason).toBe('fetch failed: connect ECONNREFUSED 127.0.0.1:1');
    const before = reports.length;
    await vi.advanceTimersByTimeAsync(180_000);
    expect(reports.length - before).toBeGreaterThanOrEqual(2);
    expect(reports.length - before).toBeLessThanOrEqual(3);
    await cache.stop();
  });

  it('recovers on its own and says so once', async () => {
    let fail = true;
    const { cache, reports, recoveries } = informer(async () => {
      if (fail) throw refused();
      return { items: [], metadata: {} };
    });
    await cache.start();
    await vi.advanceTimersByTimeAsync(10_000);
    fail = false;
    await vi.advanceTimersByTimeAsync(MAX_BACKOFF_MS);
    await nextMacrotask();
    expect(cache.failure()).toBeUndefined();
    expect(cache.hasSynced()).toBe(true);
    expect(recoveries).toHaveLength(1);
    expect(reports).toHaveLength(1);
    await cache.stop();
  });

  it('starts the backoff from the minimum again after a minute without failures', async () => {
    const { cache, fake, reports } = informer(async () => ({ items: [], metadata: {} }));
    await cache.start();
    await nextMacrotask();
    fake.failWatch(refused());
    fake.failWatch(refused());
    fake.failWatch(refused());
    expect(reports.at(-1)?.restartInMs).toBe(MIN_BACKOFF_MS);
    await vi.advanceTimersByTimeAsync(61_000);
    await nextMacrotask();
    fake.failWatch(forbidden());
    expect(reports.at(-1)?.restartInMs).toBe(MIN_BACKOFF_MS);
    await cache.stop();
  });

  it('resolves whenSynced() once the first list lands', async () => {
    let fail = true;
    const { cache } = informer(async () => {
      if (fail) throw refused();
      return { items: [], metadata: {} };
    });
    await cache.start();
    let synced = false;
    void cache.whenSynced().then(() => {
      synced = true;
    });
    await vi.advanceTimersByTimeAsync(2000);
    expect(synced).toBe(false);
    fail = false;
    await vi.advanceTimersByTimeAsync(MAX_BACKOFF_MS);
    await nextMacrotask();
    await vi.advanceTimersByTimeAsync(0);
    expect(synced).toBe(true);
    await cache.stop();
  });

  describe('keeps only what the code reads', () => {
    const heavy = (name: string, resourceVersion: string, annotations: Record<string, string>): Obj => ({
      metadata: {
        name,
        resourceVersion,
        labels: { team: 'a' },
        annotations,
        managedFields: [{ manager: 'kubectl', operation: 'Update', fieldsV1: { 'f:spec': {} } }],
      },
    });

    it('drops managedFields and the last-applied annotation from listed objects', async () => {
      const { cache } = informer(async () => ({
        items: [heavy('listed', '1', { keep: 'me', [LAST_APPLIED_ANNOTATION]: '{"a":1}' })],
        metadata: {},
      }));
      const seen: Obj[] = [];
      cache.on('add', (o) => seen.push(o));
      await cache.start();
      await nextMacrotask();
      const expected = { name: 'listed', resourceVersion: '1', labels: { team: 'a' }, annotations: { keep: 'me' } };
      expect(cache.get('listed')?.metadata).toEqual(expected);
      expect(cache.list()[0]?.metadata).toEqual(expected);
      expect(seen.map((o) => o.metadata)).toEqual([expected]);
      await cache.stop();
    });

    it('drops them from watched objects before any handler sees one', async () => {
      const { cache, fake } = informer(async () => ({ items: [], metadata: {} }));
      const seen: Array<{ verb: string; metadata: Obj['metadata'] }> = [];
      cache.on('add', (o) => seen.push({ verb: 'add', metadata: structuredClone(o.metadata) }));
      cache.on('update', (o) => seen.push({ verb: 'update', metadata: structuredClone(o.metadata) }));
      await cache.start();
      fake.watchEvent('add', heavy('watched', '2', { [LAST_APPLIED_ANNOTATION]: '{}' }));
      fake.watchEvent('update', heavy('watched', '3', { keep: 'me' }));
      expect(seen).toEqual([
        { verb: 'add', metadata: { name: 'watched', resourceVersion: '2', labels: { team: 'a' } } },
        {
          verb: 'update',
          metadata: { name: 'watched', resourceVersion: '3', labels: { team: 'a' }, annotations: { keep: 'me' } },
        },
      ]);
      expect(cache.get('watched')?.metadata).toEqual(seen[1]?.metadata);
      await cache.stop();
    });
  });

  it('keeps every label, owner reference and condition value as the API server sent it while sharing repeated ones', () => {
    const make = (name: string) =>
      ({
        apiVersion: 'scim-operator.dev/v1alpha1',
        kind: 'ScimGroupMembers',
        metadata: {
          name,
          labels: { 'scim-operator.dev/connection': 'entra', 'scim-operator.dev/username-hash': 'a'.repeat(40) },
          ownerReferences: [{ apiVersion: 'scim-operator.dev/v1alpha1', kind: 'ScimGroup', name: 'g', uid: 'u' }],
        },
        status: {
          conditions: [
            { type: 'Ready', status: 'True', reason: 'Provisioned', message: 'ok', lastTransitionTime: 't' },
            { type: 'Stale', status: 'False' },
          ],
        },
      }) as KubernetesObject;
    const [first, second] = [slimForCache(make('a')), slimForCache(make('b'))];
    expect(first).toEqual(make('a'));
    expect(second).toEqual(make('b'));
    // No property appears that the object did not have (a condition without a reason stays without one).
    expect(Object.keys((second as { status: { conditions: object[] } }).status.conditions[1]!)).toEqual([
      'type',
      'status',
    ]);
  });

  it('stops retrying once stopped', async () => {
    const { cache, listCalls } = informer(async () => {
      throw refused();
    });
    await cache.start();
    await cache.stop();
    const calls = listCalls.mock.calls.length;
    await vi.advanceTimersByTimeAsync(120_000);
    expect(listCalls.mock.calls.length).toBe(calls);
  });
});
