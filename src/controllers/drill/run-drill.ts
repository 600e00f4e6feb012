/**
 * The deprovisioning drill, as a sequence over injected ports so it is tested without a cluster: create a canary
 * user and a mapping granting it a role in the drill namespace, wait until the authorizer allows it, deactivate the
 * user, measure the time until the authorizer denies, and remove both, whatever happened. Each step is timed.
 */

export interface DrillPorts {
  /** Creates the canary user (active) and the mapping naming it; returns the canary's Kubernetes subject. */
  createCanary(): Promise<string>;
  /** Whether the authorizer lets the subject do what the drill's role allows (a SubjectAccessReview). */
  allowed(subject: string): Promise<boolean>;
  /** Why the mapping grants nothing, from its status (e.g. "RoleNotAllowed: ..."), if it says so. */
  mappingFailure(): Promise<string | undefined>;
  deactivate(): Promise<void>;
  /** Deletes the canary user and mapping; must not throw when they are already gone. */
  cleanUp(): Promise<void>;
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface DrillStep {
  name: 'create' | 'granted' | 'deactivate' | 'revoked' | 'clean-up';
  ms: number;
}

export type DrillResult =
  | { ok: true; revocationSeconds: number; steps: DrillStep[] }
  | { ok: false; reason: string; steps: DrillStep[] };

export interface DrillOptions {
  /** How long to wait for the grant, and again for the revocation. */
  timeoutMs: number;
  pollMs: number;
}

export async function runDrill(ports: DrillPorts, options: DrillOptions): Promise<DrillResult> {
  const steps: DrillStep[] = [];
  const timed = async <T>(name: DrillStep['name'], fn: () => Promise<T>): Promise<T> => {
    const start = ports.now();
    try {
      return await fn();
    } finally {
      steps.push({ name, ms: ports.now() - start });
    }
  };
  const until = async (subject: string, wanted: boolean): Promise<boolean> => {
    const deadline = ports.now() + options.timeoutMs;
    for (;;) {
      if ((await ports.allowed(subject)) === wanted) return true;
      if (ports.now() >= deadline) return false;
      await ports.sleep(options.pollMs);
    }
  };
  try {
    const subject = await timed('create', () => ports.createCanary());
    const granted = await timed('granted', () => until(subject, true));
    if (!granted) {
      const why = await ports.mappingFailure();
      return {
        ok: false,
        reason: `access was never granted within ${options.timeoutMs / 1000} s${why ? `: ${why}` : ''}`,
        steps,
      };
    }
    await timed('deactivate', () => ports.deactivate());
    const revokedAt = ports.now();
    const revoked = await timed('revoked', () => until(subject, false));
    if (!revoked)
      return {
        ok: false,
        reason: `access was not revoked within ${options.timeoutMs / 1000} s of deactivation`,
        steps,
      };
    return { ok: true, revocationSeconds: (ports.now() - revokedAt) / 1000, steps };
  } catch (err) {
    return { ok: false, reason: `drill failed: ${String(err)}`, steps };
  } finally {
    await timed('clean-up', () => ports.cleanUp()).catch(() => undefined);
  }
}
