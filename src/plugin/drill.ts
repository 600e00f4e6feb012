import type { KubeConfig } from '@kubernetes/client-node';
import { kubeDrillPorts } from '../controllers/drill/kube-ports.ts';
import { type DrillResult, runDrill } from '../controllers/drill/run-drill.ts';
import type { Settings } from '../settings.ts';
import type { Output } from './output.ts';

export const DRILL_HELP = `kubectl scim drill: run one deprovisioning drill now and print each step with its timing.

It creates a canary ScimUser and a canary AccessMapping (labelled scim-operator.dev/canary=true, no app), waits until
a SubjectAccessReview allows the canary the drill's role in the drill namespace, deactivates it, measures the time
until access is denied, and deletes both, whatever happened. The operator must be running. The namespace, role and
timeout come from the operator's settings (drill.namespace, drill.clusterRole, drill.timeoutSeconds); the drill runs
in the operator's first served connection unless --connection names one.

Usage:
  kubectl scim drill [--connection C]

Unlike the other commands it writes: create/patch/delete on scimusers and accessmappings, and create on
subjectaccessreviews. Exit status 0 when revocation was proven, 1 when the drill failed (the reason is printed).
`;

/** Runs the drill with the caller's credentials, as the controller's drill does with the operator's. */
export async function runDrillCommand(
  kc: KubeConfig,
  settings: Settings,
  served: ReadonlySet<string>,
  connection: string | undefined,
  out: Output,
): Promise<number> {
  const chosen = connection ?? [...served].sort()[0];
  if (!chosen) {
    out.error('error: no served connection to run the drill in; pass --connection\n');
    return 2;
  }
  await out.write(
    `Drill in connection ${chosen}: ClusterRole ${settings.drill.clusterRole} in namespace ${settings.drill.namespace}\n`,
  );
  const result = await runDrill(kubeDrillPorts(kc, settings.drill, settings.subjects, chosen), {
    timeoutMs: settings.drill.timeoutSeconds * 1000,
    pollMs: 100,
  });
  await out.write(drillReport(result));
  return result.ok ? 0 : 1;
}

export function drillReport(result: DrillResult): string {
  const rows = result.steps.map((s) => `  ${s.name.padEnd(12)}${(s.ms / 1000).toFixed(2).padStart(8)} s\n`).join('');
  const verdict = result.ok
    ? `Revocation proven: access denied ${result.revocationSeconds.toFixed(2)} s after the deactivation.\n`
    : `Drill FAILED: ${result.reason}\n`;
  return `STEP          SECONDS\n${rows}${verdict}`;
}
