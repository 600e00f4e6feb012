import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { type KubeConfig, type V1Lease, type V1LeaseSpec, V1MicroTime } from '@kubernetes/client-node';
import { describeError } from '../observability/error-cause.ts';
import { type Clock, systemClock } from './clock.ts';
import { type LeaseClient, leaseClientFor, recordOf } from './lease-client.ts';
import type { LoggerLike } from './reconciler.ts';

export type { LeaseClient } from './lease-client.ts';

/** Sets `leader_election_master_status`. */
export interface LeaderElectionMetrics {
  leading(isLeader: boolean): void;
}

export interface LeaderElectionOptions {
  kc: KubeConfig;
  namespace: string;
  name: string;
  /** Default `hostname_uuid`, as controller-runtime. */
  identity?: string;
  /** How long a Lease not renewed stays valid for the others, judged on their own clocks. Default 15 s. */
  leaseDurationMs?: number;
  /** How long the leader keeps retrying a failed renewal before it gives up leadership. Default 10 s. */
  renewDeadlineMs?: number;
  /** Pause between attempts to acquire or renew. Default 2 s. */
  retryPeriodMs?: number;
  onStartedLeading: () => void;
  /**
   * Leadership was lost while running (renewal failed past the renew deadline): stop the work that needs it. The
   * elector waits for the returned promise, then contends again, and calls `onStartedLeading` when it leads again
   * (docs/adr/0012-leadership-is-not-liveness.md). Not called by `stop()`.
   */
  onStoppedLeading: () => void | Promise<void>;
  metrics?: LeaderElectionMetrics;
  logger?: LoggerLike;
  /** Release the Lease on `stop()` so a successor takes over at once (controller-runtime's ReleaseOnCancel). Default true. */
  releaseOnStop?: boolean;
  /** Defaults to the Lease `namespace/name` through `kc`. */
  leases?: LeaseClient;
  clock?: Clock;
}

export interface LeaderElection {
  readonly identity: string;
  isLeader(): boolean;
  /** Stops contending and, if leading, releases the Lease. Stop the controllers first: their work is no longer exclusive after this. */
  stop(): Promise<void>;
}

const JITTER_FACTOR = 1.2;
/**
 * Jitter of the acquire loop. client-go uses 1.2; with few candidates a smaller one keeps the time from the leader's
 * death to a takeover (lease duration plus at most one jittered period) within 20 s with the default 15 s / 2 s.
 */
const ACQUIRE_JITTER = 0.2;

/**
 * Lease-based leader election with client-go's `tryAcquireOrRenew`. Another holder's Lease counts as expired once
 * `leaseDurationSeconds` have passed on OUR clock since we last saw the record change; its `renewTime` is never
 * compared with our clock, so clock skew between replicas cannot hand leadership to two of them.
 */
export function startLeaderElection(options: LeaderElectionOptions): LeaderElection {
  const leaseDurationMs = options.leaseDurationMs ?? 15_000;
  const renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
  const retryPeriodMs = options.retryPeriodMs ?? 2_000;
  if (leaseDurationMs <= renewDeadlineMs) throw new Error('leaseDurationMs must be greater than renewDeadlineMs');
  if (renewDeadlineMs <= JITTER_FACTOR * retryPeriodMs) {
    throw new Error(`renewDeadlineMs must be greater than ${JITTER_FACTOR} × retryPeriodMs`);
  }
  const identity = options.identity ?? `${hostname()}_${randomUUID()}`;
  const leaseDurationSeconds = Math.max(1, Math.ceil(leaseDurationMs / 1000));
  const leases = options.leases ?? leaseClientFor(options.kc, options.namespace, options.name);
  const clock = options.clock ?? systemClock;
  const logger = options.logger;
  const log = { lease: `${options.namespace}/${options.name}`, identity };
  const stopping = new AbortController();

  let observed: V1Lease | undefined;
  let observedRecord = '';
  let observedAt = 0;
  let leading = false;
  let lost = false;
  let lastLeaseError: string | undefined;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (stopping.signal.aborted) return resolve();
      const wake = () => {
        clock.clearTimeout(timer);
        stopping.signal.removeEventListener('abort', wake);
        resolve();
      };
      const timer = clock.setTimeout(wake, ms);
      stopping.signal.addEventListener('abort', wake);
    });
  /**
   * An attempt that has not answered within `ms` counts as failed: a hung request must not keep us leading. Not cut
   * short by `stop()`, so that a Lease acquired meanwhile is still seen, and released.
   */
  const within = async (attempt: Promise<boolean>, ms: number) => {
    let timer: unknown;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = clock.setTimeout(() => resolve(false), Math.max(0, ms));
    });
    try {
      return await Promise.race([attempt, timedOut]);
    } finally {
      clock.clearTimeout(timer);
    }
  };
  const setObserved = (lease: V1Lease, now: number) => {
    observed = lease;
    observedRecord = recordOf(lease);
    observedAt = now;
  };
  const leaseValid = (now: number) => observedAt + (observed?.spec?.leaseDurationSeconds ?? 0) * 1000 > now;

  async function tryAcquireOrRenew(): Promise<boolean> {
    const now = clock.now();
    const time = new V1MicroTime();
    if (leading && observed && leaseValid(now)) {
      const spec = { ...observed.spec, holderIdentity: identity, leaseDurationSeconds, renewTime: time };
      try {
        setObserved(await leases.replace({ ...observed, spec }), now);
        return true;
      } catch (err) {
        logger?.debug({ ...log, err }, 'fast-path renewal failed; reading the lease');
      }
    }
    let current: V1Lease | undefined;
    try {
      current = await leases.read();
      lastLeaseError = undefined;
      if (!current) {
        const spec = {
          holderIdentity: identity,
          leaseDurationSeconds,
          acquireTime: time,
          renewTime: time,
          leaseTransitions: 0,
        };
        setObserved(await leases.create({ metadata: { name: options.name, namespace: options.namespace }, spec }), now);
        return true;
      }
    } catch (err) {
      // Once per cause: an unreachable API server would otherwise log this every retry period.
      const cause = describeError(err);
      if (cause !== lastLeaseError) logger?.warn({ ...log, err }, 'could not read or create the lease');
      else logger?.debug({ ...log, err }, 'could not read or create the lease');
      lastLeaseError = cause;
      return false;
    }
    if (recordOf(current) !== observedRecord) setObserved(current, now);
    else observed = current;
    const holder = current.spec?.holderIdentity ?? '';
    if (holder !== '' && holder !== identity && leaseValid(now)) {
      logger?.debug({ ...log, holder }, 'lease is held by another and has not expired');
      return false;
    }
    const spec: V1LeaseSpec =
      holder === identity
        ? { ...current.spec, leaseDurationSeconds, renewTime: time }
        : {
            ...current.spec,
            holderIdentity: identity,
            leaseDurationSeconds,
            acquireTime: time,
            renewTime: time,
            leaseTransitions: (current.spec?.leaseTransitions ?? 0) + 1,
          };
    try {
      setObserved(await leases.replace({ ...current, spec }), now);
      return true;
    } catch (err) {
      logger?.debug({ ...log, err }, 'could not update the lease');
      return false;
    }
  }

  async function renew(): Promise<boolean> {
    const deadline = clock.now() + renewDeadlineMs;
    for (;;) {
      if (await within(tryAcquireOrRenew(), deadline - clock.now())) return true;
      const left = deadline - clock.now();
      if (left <= 0 || stopping.signal.aborted) return false;
      await sleep(Math.min(retryPeriodMs, left));
    }
  }

  /** Also releases a Lease acquired by an attempt that was in flight when `stop()` was called. */
  async function release(): Promise<boolean> {
    if (lost || !observed || observed.spec?.holderIdentity !== identity) return true;
    const time = new V1MicroTime();
    const spec = { ...observed.spec, holderIdentity: '', leaseDurationSeconds: 1, acquireTime: time, renewTime: time };
    try {
      setObserved(await leases.replace({ ...observed, spec }), clock.now());
      logger?.info(log, 'released the lease');
    } catch (err) {
      logger?.warn({ ...log, err }, 'could not release the lease');
    }
    return true;
  }

  const setLeading = (value: boolean) => {
    leading = value;
    options.metrics?.leading(value);
  };
  const notify = (callback: () => void, what: string) => {
    try {
      callback();
    } catch (err) {
      logger?.error({ ...log, err }, `${what} threw`);
    }
  };

  options.metrics?.leading(false);
  /** Contends until it leads, then renews until it cannot; `false` when stopped meanwhile. */
  async function leadOnce(): Promise<boolean> {
    while (!(await within(tryAcquireOrRenew(), renewDeadlineMs))) {
      if (stopping.signal.aborted) return false;
      // Wake no later than the moment the holder's lease expires on our clock: with client-go's jittered period
      // alone a takeover can come up to two periods after expiry (24 s with the defaults); this bounds it to
      // one period plus the lease duration after the holder's last renewal.
      const jittered = retryPeriodMs * (1 + Math.random() * ACQUIRE_JITTER);
      const untilExpiry = observedAt + (observed?.spec?.leaseDurationSeconds ?? 0) * 1000 - clock.now() + 10;
      await sleep(untilExpiry > 0 ? Math.min(jittered, untilExpiry) : jittered);
      if (stopping.signal.aborted) return false;
    }
    if (stopping.signal.aborted) return false;
    lost = false;
    setLeading(true);
    logger?.info(log, 'acquired the lease');
    notify(options.onStartedLeading, 'onStartedLeading');
    for (;;) {
      await sleep(retryPeriodMs);
      if (stopping.signal.aborted) return false;
      if (await renew()) continue;
      if (stopping.signal.aborted) return false;
      setLeading(false);
      lost = true;
      logger?.error(log, 'leadership lost: could not renew the lease within the renew deadline; contending again');
      try {
        await options.onStoppedLeading();
      } catch (err) {
        logger?.error({ ...log, err }, 'onStoppedLeading threw');
      }
      return true;
    }
  }

  const run = (async () => {
    while (await leadOnce()) {
      // Contend again at once: the Lease may still be ours (a stall that outlasted the renew deadline).
    }
  })();

  return {
    identity,
    isLeader: () => leading,
    async stop() {
      stopping.abort();
      await run;
      if (leading) setLeading(false);
      if (options.releaseOnStop ?? true) await within(release(), renewDeadlineMs);
    },
  };
}
