/**
 * `scim-operator run | dev | crds | version`. Each command parses its own flags; `run` delegates all configuration
 * to config.ts.
 */

import { readFileSync } from 'node:fs';
import { ConfigError, loadConfig, runFlags } from './config.ts';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

const usage = `scim-operator ${pkg.version}: makes a Kubernetes cluster a SCIM 2.0 provisioning target

Usage: scim-operator <command> [flags]

Commands:
  run       run the operator: the SCIM endpoint (and, on the leader, the controllers)
  dev       try it locally: start a local control plane, the operator and print a SCIM URL and token
  node      try it as Pods: a local node (containerd + kubelet, root), the image and the Helm chart
  crds      print the CustomResourceDefinition manifests (kubectl apply -f -)
  version   print the version

Run 'scim-operator <command> --help' for the flags of a command.
`;

function runHelp(): string {
  const lines = Object.entries(runFlags).map(([name, f]) => {
    const def = 'default' in f ? ` (default ${f.default})` : '';
    const env = name === 'kubeconfig' ? `${f.env}, then KUBECONFIG` : f.env;
    return `  --${name.padEnd(18)} ${f.help}${def}\n  ${' '.repeat(20)} env: ${env}`;
  });
  return `Usage: scim-operator run [flags]\n\nRuns the operator until SIGTERM or SIGINT.\n\nFlags:\n${lines.join('\n')}\n`;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const wantsHelp = rest.includes('--help') || rest.includes('-h');
  switch (command) {
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(usage);
      return command === undefined ? 2 : 0;
    case 'version':
      if (wantsHelp) process.stdout.write('Usage: scim-operator version\n\nPrints the version.\n');
      else process.stdout.write(`${pkg.version}\n`);
      return 0;
    case 'crds': {
      if (wantsHelp) {
        process.stdout.write(
          'Usage: scim-operator crds\n\nPrints the CRD manifests as YAML, e.g. scim-operator crds | kubectl apply --server-side -f -\n',
        );
        return 0;
      }
      const { renderAllCrds } = await import('./api/crds.ts');
      process.stdout.write(renderAllCrds());
      return 0;
    }
    case 'run': {
      if (wantsHelp) {
        process.stdout.write(runHelp());
        return 0;
      }
      const config = loadConfig(rest);
      const { startOperator } = await import('./main.ts');
      const operator = await startOperator(config);
      await untilSignal();
      await operator.stop();
      return 0;
    }
    case 'dev': {
      const { devCommand, devHelp } = await import('./dev.ts');
      if (wantsHelp) {
        process.stdout.write(devHelp);
        return 0;
      }
      return devCommand(rest);
    }
    case 'node':
      return (await import('./dev-node.ts')).devNodeCommand(wantsHelp);
    default:
      process.stderr.write(`unknown command "${command}"\n\n${usage}`);
      return 2;
  }
}

function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => resolve(signal));
  });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    // A mistake in how the operator was started: one line per problem, no stack, exit 2 (usage).
    if (err instanceof ConfigError) {
      process.stderr.write(`${(err as Error).message.replace(/^/gm, 'scim-operator: ')}\n`);
      process.exit(2);
    }
    process.stderr.write(`scim-operator: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
