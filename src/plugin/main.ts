import { parseArgs } from 'node:util';
import { AccessChecker } from './access-check.ts';
import { loadAccessContext } from './access-context.ts';
import { ClusterReader, loadKubeConfig } from './cluster-reader.ts';
import { completionScript } from './completion.ts';
import { DRILL_HELP, runDrillCommand } from './drill.ts';
import type { Output } from './output.ts';
import { PLAN_HELP, readMappings, runPlan } from './plan.ts';
import { REPORT_HELP, type ReportFormat, runReport } from './report.ts';
import { findUsers, runWhois, runWhoisOfDeleted, WHOIS_HELP } from './whois.ts';

export const MAIN_HELP = `kubectl scim: who has what access through scim-operator, why, and since when. Read-only.

Usage:
  kubectl scim whois <userName|email|id>          identity, groups, grants with provenance, unmanaged bindings
  kubectl scim report [--format table|csv|json]   one row per user and grant, for access reviews
  kubectl scim plan -f mapping.yaml               what applying a mapping would grant, revoke and refuse
  kubectl scim drill [--connection C]             run one deprovisioning drill now (writes canary objects)
  kubectl scim completion bash|zsh                shell completion

Run 'kubectl scim <command> --help' for a command's flags.

Flags of every command:
  --kubeconfig FILE           default: $KUBECONFIG, then ~/.kube/config (as kubectl)
  --context NAME              the kubeconfig context to use
  --operator-namespace NS     where the operator runs (default scim-operator): its ConfigMap holds the settings
  --operator-configmap NAME   the operator's ConfigMap (default scim-operator; the Helm release's full name)
  --settings FILE             read the settings from a file instead of the ConfigMap

Permissions: get/list on the scim-operator.dev resources, namespaces, roles, clusterroles, rolebindings,
clusterrolebindings, get on the operator's ConfigMap, and create on subjectaccessreviews (whois only; as
kubectl auth can-i --as needs).
`;

const options = {
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  'operator-namespace': { type: 'string', default: 'scim-operator' },
  'operator-configmap': { type: 'string', default: 'scim-operator' },
  settings: { type: 'string' },
  connection: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  format: { type: 'string', short: 'o', default: 'table' },
  filename: { type: 'string', short: 'f' },
  'page-size': { type: 'string', default: '500' },
  help: { type: 'boolean', short: 'h' },
} as const;

const HELP: Record<string, string> = { whois: WHOIS_HELP, report: REPORT_HELP, plan: PLAN_HELP, drill: DRILL_HELP };

/** Runs one command; resolves to the process exit status (0 ok, 1 refused or not found, 2 usage or API error). */
export async function runPlugin(argv: string[], out: Output): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true });
  } catch (err) {
    out.error(`error: ${(err as Error).message}\nSee 'kubectl scim --help'.\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (!command || command === 'help') {
    await out.write(rest[0] && HELP[rest[0]] ? HELP[rest[0]]! : MAIN_HELP);
    return 0;
  }
  if (values.help) {
    await out.write(HELP[command] ?? MAIN_HELP);
    return 0;
  }
  if (command === 'completion') {
    const script = completionScript(rest[0] ?? '');
    if (!script) {
      out.error('usage: kubectl scim completion bash|zsh\n');
      return 2;
    }
    await out.write(script);
    return 0;
  }
  if (!HELP[command]) {
    out.error(`error: unknown command "${command}"\n${MAIN_HELP}`);
    return 2;
  }
  const format = values.format as ReportFormat;
  if (command === 'report' && !['table', 'csv', 'json'].includes(format)) {
    out.error(`error: --format must be table, csv or json, not "${format}"\n`);
    return 2;
  }
  if (command === 'whois' && !rest[0]) {
    out.error('usage: kubectl scim whois <userName|email|id>\n');
    return 2;
  }
  if (command === 'plan' && !values.filename) {
    out.error('usage: kubectl scim plan -f mapping.yaml\n');
    return 2;
  }
  try {
    const reader = new ClusterReader(loadKubeConfig(values.kubeconfig, values.context), Number(values['page-size']));
    const where = {
      settingsFile: values.settings,
      operatorNamespace: values['operator-namespace'],
      configMap: values['operator-configmap'],
    };
    const warn = (message: string) => out.error(`${message}\n`);
    if (command === 'plan') {
      const mappings = await readMappings(values.filename!);
      return await runPlan(mappings, await loadAccessContext(reader, where, warn), reader, out);
    }
    if (command === 'drill') {
      const context = await loadAccessContext(reader, where, warn);
      return await runDrillCommand(reader.kc, context.settings, context.served, values.connection, out);
    }
    if (command === 'report') {
      const context = await loadAccessContext(reader, where, warn);
      const selector = values.connection ? `scim-operator.dev/connection=${values.connection}` : undefined;
      await runReport(reader.users(selector), context, { format, namespace: values.namespace }, out);
      return 0;
    }
    const found = await findUsers(reader, rest[0]!, values.connection);
    if (found.length === 0) {
      out.error(`error: no SCIM user with id, userName or email "${rest[0]}"\n`);
      // A hard-deleted user's hand-made bindings outlive it: look for them under the name as a subject.
      await runWhoisOfDeleted(rest[0]!, reader, new AccessChecker(reader.kc), out);
      return 1;
    }
    if (found.length > 1) {
      out.error(
        `error: ${found.length} users match "${rest[0]}" (ids ${found.map((u) => u.metadata.name).join(', ')}); pass --connection or an id\n`,
      );
      return 1;
    }
    const context = await loadAccessContext(reader, where, warn);
    await runWhois(found[0]!, context, reader, new AccessChecker(reader.kc), out);
    return 0;
  } catch (err) {
    const e = err as { code?: number; body?: unknown; message?: string };
    out.error(`error: ${e.code ? `API server answered ${e.code}: ${String(e.body ?? e.message)}` : e.message}\n`);
    return 2;
  }
}
