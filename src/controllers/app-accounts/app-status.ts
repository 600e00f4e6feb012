import type { Condition } from '../../api/crd-builder.ts';
import {
  type DownstreamApp,
  type DownstreamAppSpec,
  type DownstreamAppStatus,
  downstreamAppKind,
} from '../../api/downstream-app.ts';
import { DownstreamError } from '../../downstream/errors.ts';
import { setCondition } from '../../runtime/conditions.ts';
import { type ReconcileContext, type ReconcileResult, requeueAfter, TerminalError } from '../../runtime/reconciler.ts';
import { type AccountsContext, safeSpec } from './accounts-context.ts';
import { secretRefs } from './app-clients.ts';
import { appConditions } from './app-conditions.ts';
import { DownstreamFinalizer } from './downstream-finalizer.ts';
import { pushGroups } from './group-push.ts';
import { accountsKey } from './keys.ts';
import { wantedGroups } from './wanted-groups.ts';

const UNHEALTHY_REQUEUE_MS = 15_000;

/**
 * One DownstreamApp: its finalizer (held while accounts remain), a probe of the service when its spec or credentials
 * changed or it was unhealthy, group push, and its status (conditions, account counts, last error).
 */
export class AppStatusReconciler {
  private readonly context: AccountsContext;
  private readonly probed = new Map<string, string>();

  constructor(context: AccountsContext) {
    this.context = context;
  }

  async reconcile(name: string, context: ReconcileContext): Promise<ReconcileResult> {
    const { deps, ledger, finalizer } = this.context;
    const app = deps.apps.get(name);
    if (!app) {
      deps.clients.forget(name);
      this.probed.delete(name);
      return;
    }
    if (!deps.serves(app)) return;
    const generation = app.metadata.generation ?? 0;
    const spec = safeSpec(app);
    if (!spec) {
      await this.writeStatus(app, { ...app.status }, [
        { type: 'Ready', status: 'False', reason: 'InvalidSpec', message: 'spec does not parse' },
      ]);
      throw new TerminalError(`DownstreamApp ${name} has an invalid spec`);
    }
    const accounts = ledger.usersWithEntry(name);
    const hasFinalizer = DownstreamFinalizer.held(app);
    if (app.metadata.deletionTimestamp) {
      if (!hasFinalizer) return;
      if (accounts.length > 0 && !spec.suspend) {
        for (const { user } of accounts) deps.enqueue(accountsKey(user.metadata.name));
        return;
      }
      if (accounts.length === 0) {
        if (spec.groups?.push && !spec.dryRun) await pushGroups(deps.clients.client(app), [], app.status?.groups ?? []);
        await finalizer.remove(downstreamAppKind.plural, app);
        deps.clients.forget(name);
        this.probed.delete(name);
        return;
      }
    } else if (!hasFinalizer) await finalizer.add(downstreamAppKind.plural, app);

    const client = deps.clients.client(app);
    const refs = secretRefs(spec.auth);
    const missing = refs.filter((ref) => deps.readSecret(ref) === undefined);
    const notAllowed = refs.filter((ref) => !deps.credentialAllowed(ref, name));
    const refusedDestination = await this.refusedDestination(spec);
    const secretsVersion = refs.map((ref) => deps.readSecret(ref) ?? '').join('\u0000');
    const probeKey = `${generation}\u0000${secretsVersion}`;
    let health = deps.clients.health(name);
    const unhealthy = health !== undefined && (!health.reachable || health.authenticated === false);
    const blocked = refusedDestination !== undefined || notAllowed.length > 0 || missing.length > 0;
    if (!spec.suspend && !blocked && (this.probed.get(name) !== probeKey || unhealthy)) {
      this.probed.set(name, probeKey);
      await client.probe(context.signal).catch((err) => {
        if (!(err instanceof DownstreamError)) throw err;
      });
      health = deps.clients.health(name);
    }

    const status: DownstreamAppStatus = { ...app.status, observedGeneration: generation };
    let pushError: string | undefined;
    if (spec.groups?.push && !spec.suspend && !spec.dryRun && !app.metadata.deletionTimestamp) {
      try {
        const groups = wantedGroups(app, deps.mappings.list(), deps.identities, ledger, deps.clock.date());
        status.groups = await pushGroups(
          client,
          groups.wanted,
          app.status?.groups ?? [],
          context.signal,
          groups.frozen,
        );
        if (status.groups.length === 0) delete status.groups;
      } catch (err) {
        if (!(err instanceof DownstreamError)) throw err;
        pushError = `group push: ${err.summary()}`;
      }
    }
    const counts = { provisioned: 0, deprovisioned: 0, pending: 0, failed: 0 };
    for (const { entry } of accounts) {
      if (entry.plan !== undefined) counts.pending++;
      else counts[entry.state.toLowerCase() as keyof typeof counts]++;
    }
    status.accounts = counts;
    const healthError = health && (!health.reachable || health.authenticated === false) ? health.message : undefined;
    const lastError = refusedDestination ?? healthError ?? pushError;
    if (lastError) status.lastError = lastError.slice(0, 1000);
    else delete status.lastError;
    const findings = { health, refusedDestination, missingSecrets: missing, notAllowed, counts, pushError };
    await this.writeStatus(app, status, appConditions(spec, findings));
    if (healthError || pushError || blocked) return requeueAfter(UNHEALTHY_REQUEUE_MS);
    return;
  }

  /** Why the app's URLs may not be contacted (destination-fence.ts), or undefined when they may. */
  private async refusedDestination(spec: DownstreamAppSpec): Promise<string | undefined> {
    const insecure = spec.tls?.insecureHttp === true;
    for (const url of [spec.url, spec.auth.oauth2?.tokenUrl]) {
      if (url === undefined) continue;
      try {
        await this.context.deps.fence.check(new URL(url), insecure);
      } catch (err) {
        if (err instanceof DownstreamError && err.code === 'DestinationRefused') return err.message;
        if (err instanceof TypeError) return `${url} is not a URL`;
        // Unreachable (no DNS answer yet) is the probe's to report.
        if (!(err instanceof DownstreamError)) throw err;
      }
    }
    return undefined;
  }

  private async writeStatus(
    app: DownstreamApp,
    status: DownstreamAppStatus,
    conditions: Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>[],
  ): Promise<void> {
    const generation = app.metadata.generation ?? 0;
    let list = app.status?.conditions;
    for (const c of conditions) list = setCondition(list, c, generation, this.context.deps.clock.date());
    await this.context.deps.status.write(downstreamAppKind, app.metadata.name, app.status, {
      ...status,
      conditions: list,
    });
  }
}
