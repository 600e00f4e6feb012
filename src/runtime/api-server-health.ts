import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { describeError } from '../observability/error-cause.ts';

/**
 * Whether the API server answers right now, from a probe of its `/readyz` (readable by every authenticated user
 * through `system:public-info-viewer`). A stalled API server does not fail requests, it holds them: without this,
 * a SCIM request would wait for the whole request timeout before its 503. Unreachable after `failuresToTrip`
 * consecutive probes that got no answer (timed out, refused, reset); reachable again at the first that gets one.
 * Any HTTP answer counts as reachable, `/readyz` 500 included: an API server that answers fails requests quickly by
 * itself (and those failures become 503 with Retry-After), and a busy one whose etcd check is slow must not turn
 * every SCIM request away. The 5 s timeout is for the same reason: a loaded API server answers slowly, not never.
 */
export interface ApiServerHealth {
  reachable(): boolean;
  /** One line: why the last probes failed; `undefined` while reachable. */
  problem(): string | undefined;
  start(): void;
  stop(): void;
}

export interface ApiServerHealthOptions {
  intervalMs?: number;
  timeoutMs?: number;
  failuresToTrip?: number;
  onChange?: (reachable: boolean, problem: string | undefined) => void;
}

export function watchApiServer(kc: KubeConfig, options: ApiServerHealthOptions = {}): ApiServerHealth {
  const intervalMs = options.intervalMs ?? 1000;
  const timeoutMs = options.timeoutMs ?? 5000;
  const failuresToTrip = options.failuresToTrip ?? 2;
  let failures = 0;
  let reachable = true;
  let problem: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running = false;

  const settle = (ok: boolean, cause?: string) => {
    failures = ok ? 0 : failures + 1;
    const now = ok || failures < failuresToTrip ? reachable || ok : false;
    if (!ok) problem = cause;
    if (now === reachable) return;
    reachable = now;
    if (now) problem = undefined;
    options.onChange?.(now, problem);
  };

  async function probe(): Promise<void> {
    try {
      await get(kc, '/readyz', timeoutMs);
      settle(true);
    } catch (err) {
      settle(false, describeError(err));
    }
    if (running) timer = setTimeout(() => void probe(), intervalMs).unref();
  }

  return {
    reachable: () => reachable,
    problem: () => (reachable ? undefined : problem),
    start() {
      if (running) return;
      running = true;
      void probe();
    },
    stop() {
      running = false;
      clearTimeout(timer);
    },
  };
}

async function get(kc: KubeConfig, apiPath: string, timeoutMs: number): Promise<number> {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error('kubeconfig has no current cluster');
  const opts: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  const request = server.startsWith('https:') ? https.request : http.request;
  // A fresh connection each time (agent: false), so a stalled server cannot hide behind a pooled socket.
  return new Promise((resolve, reject) => {
    const req = request(`${server}${apiPath}`, { ...opts, agent: false, method: 'GET' }, (res) => {
      res.resume();
      res.on('end', () => {
        clearTimeout(deadline);
        resolve(res.statusCode ?? 0);
      });
    });
    // A wall-clock deadline over connect, TLS handshake and answer alike (a socket timeout restarts on any byte).
    const deadline = setTimeout(
      () => req.destroy(new Error(`GET ${apiPath} did not answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    req.on('error', (err) => {
      clearTimeout(deadline);
      reject(err);
    });
    req.end();
  });
}
