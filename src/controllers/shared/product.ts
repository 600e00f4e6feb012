import type { CachedInformer } from '../../runtime/informer.ts';

/** What the composition needs of a controller's workers: run on the leader, stop when leadership is lost. */
export interface Workers {
  start(): void;
  stop(options?: { abandon?: boolean }): Promise<void>;
}

/**
 * One product of the controllers (RoleBindings, identity status, downstream accounts), as its wiring module builds
 * it: its own informers, its controller and the watches that map events to its keys. The composition only starts
 * and stops what it is given (controllers/operator-controllers.ts).
 */
export interface Product {
  readonly name: string;
  /** Informers that must have listed before the workers run (and before the replica is ready). */
  readonly informers: readonly CachedInformer<unknown>[];
  /** Started but neither awaited nor required for readiness (e.g. Secrets the operator may not be able to read). */
  readonly optionalInformers?: readonly CachedInformer<unknown>[];
  readonly workers: Workers;
  /** Enqueues every key once: the first pass after `start` and the periodic resync. */
  enqueueAll(): void;
  /** Releases what is not an informer or a worker (clients, sockets); after the workers stopped. */
  close?(): void;
}
