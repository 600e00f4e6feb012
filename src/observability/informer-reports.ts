import type { CachedInformer } from '../runtime/informer.ts';
import type { Logger } from './logger.ts';
import type { ReadinessCheck } from './probes-server.ts';

/** /readyz: the token Secret holds a usable token, and every informer has listed; each failing check says why. */
export function readinessChecks(
  tokens: { state(): string; problem(): string | undefined },
  informers: CachedInformer<unknown>[],
): ReadinessCheck[] {
  return [
    { name: 'token-secret', ready: () => tokens.state() === 'ok', reason: () => tokens.problem() },
    ...informers.map((i) => ({
      name: `informer ${i.name}`,
      ready: () => i.hasSynced(),
      reason: () => i.failure()?.message ?? 'not listed yet',
    })),
  ];
}

/** Logs an informer's failures (as the informer rate-limits them) with server and cause, and its recovery. */
export function logInformerFailures(informer: CachedInformer<unknown>, logger: Logger): void {
  informer.onError(
    (err, restartInMs) =>
      logger.warn({ informer: err.informer, server: err.server, cause: err.reason, restartInMs }, err.message),
    recoveryLogger(informer, logger),
  );
}

export function recoveryLogger(informer: CachedInformer<unknown>, logger: Logger): () => void {
  return () => logger.info({ informer: informer.name }, 'list/watch recovered');
}
