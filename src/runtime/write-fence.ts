import type { KubeConfig, RequestContext } from '@kubernetes/client-node';

/** A write refused because this replica does not hold the Lease (any more). */
export class NotLeaderError extends Error {
  override name = 'NotLeaderError';
  constructor(method: string, url: string) {
    super(`${method} ${new URL(url).pathname} refused: this replica is not the leader`);
  }
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A view of `kc` whose API clients refuse to start a write (POST, PUT, PATCH, DELETE) while `mayWrite()` is false:
 * the controllers' guarantee that no write starts once leadership is lost, even from a reconcile that does not
 * check its abort signal. Reads and watches pass, so informers keep running on every replica. A write already sent
 * when leadership is lost completes; reconcile is level-triggered, so the next leader finds and finishes the rest.
 */
export function fencedKubeConfig(kc: KubeConfig, mayWrite: () => boolean): KubeConfig {
  const fenced = Object.create(kc) as KubeConfig;
  fenced.applySecurityAuthentication = async (context: RequestContext) => {
    const method = String(context.getHttpMethod());
    if (!READS.has(method) && !mayWrite()) throw new NotLeaderError(method, context.getUrl());
    await kc.applySecurityAuthentication(context);
  };
  return fenced;
}
