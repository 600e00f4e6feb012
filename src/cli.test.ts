import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const cli = path.resolve(import.meta.dirname, 'cli.ts');
const home = mkdtempSync(path.join(os.tmpdir(), 'scim-operator-cli-'));
const kubeconfig = path.join(home, 'kubeconfig');
writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n');

/** Runs the CLI with no kubeconfig in its environment, an empty home, and outside any pod. */
function run(...args: string[]) {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home };
  const result = spawnSync(process.execPath, [cli, ...args], { env, encoding: 'utf8', timeout: 30_000 });
  return { code: result.status, stderr: result.stderr, stdout: result.stdout };
}

describe('scim-operator CLI', () => {
  it.each([
    {
      mistake: 'a kubeconfig file that does not exist',
      args: ['run', '--kubeconfig', '/nonexistent/kubeconfig', '--token-secret', 'ns/tokens'],
      line: 'scim-operator: --kubeconfig: kubeconfig file /nonexistent/kubeconfig does not exist',
    },
    {
      mistake: 'a settings file that does not exist',
      args: ['run', '--kubeconfig', kubeconfig, '--token-secret', 'ns/tokens', '--config', '/nonexistent.yaml'],
      line: 'scim-operator: --config: settings file /nonexistent.yaml does not exist',
    },
    {
      mistake: 'a stray argument',
      args: ['run', '--kubeconfig', kubeconfig, 'ns/tokens'],
      line: 'scim-operator: unexpected argument "ns/tokens"; flags are written --name value',
    },
    {
      mistake: 'a flag without its value',
      args: ['run', '--token-secret', 'ns/tokens', '--kubeconfig'],
      line: 'scim-operator: --kubeconfig needs a value',
    },
    {
      mistake: 'an unknown flag',
      args: ['run', '--kubeconfg', kubeconfig],
      line: 'scim-operator: unknown flag --kubeconfg; see --help',
    },
    {
      mistake: 'no kubeconfig anywhere, outside a pod',
      args: ['run', '--token-secret', 'ns/tokens'],
      line: `scim-operator: no kubeconfig: pass --kubeconfig, set $KUBECONFIG, create ${home}/.kube/config, or run in a pod with a service account`,
    },
    {
      mistake: 'a stray argument to dev',
      args: ['dev', 'now'],
      line: 'scim-operator: unexpected argument "now"; flags are written --name value',
    },
  ])('prints one line and exits 2 on $mistake', ({ args, line }) => {
    const { code, stderr } = run(...args);
    expect(stderr).toBe(`${line}\n`);
    expect(code).toBe(2);
  });

  it('names both kubeconfig variables and the request timeout range in run --help', () => {
    const { code, stdout } = run('run', '--help');
    expect(code).toBe(0);
    expect(stdout).toContain('env: SCIM_OPERATOR_KUBECONFIG, then KUBECONFIG');
    expect(stdout).toContain('from 1000 to 300000');
  });
});
