import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ConfigEnvironment, ConfigError, loadConfig, parseFlags } from './config.ts';

function world(files: string[], env: NodeJS.ProcessEnv = {}): ConfigEnvironment {
  const existing = new Set(files);
  return { env, homedir: '/home/ada', fileExists: (f) => existing.has(f) };
}

const required = ['--token-secret', 'scim-operator/scim-tokens'];

describe('loadConfig', () => {
  it('takes --kubeconfig over SCIM_OPERATOR_KUBECONFIG over KUBECONFIG over ~/.kube/config', () => {
    const files = ['/flag', '/ours', '/theirs', '/home/ada/.kube/config'];
    const env = { SCIM_OPERATOR_KUBECONFIG: '/ours', KUBECONFIG: '/theirs' };
    expect(loadConfig([...required, '--kubeconfig', '/flag'], world(files, env)).kubeconfig).toBe('/flag');
    expect(loadConfig(required, world(files, env)).kubeconfig).toBe('/ours');
    expect(loadConfig(required, world(files, { KUBECONFIG: '/theirs' })).kubeconfig).toBe('/theirs');
    expect(loadConfig(required, world(files)).kubeconfig).toBe('/home/ada/.kube/config');
  });

  it('keeps the files of a KUBECONFIG list that exist', () => {
    const list = ['/a', '/missing', '/b'].join(path.delimiter);
    expect(loadConfig(required, world(['/a', '/b'], { KUBECONFIG: list })).kubeconfig).toBe(
      ['/a', '/b'].join(path.delimiter),
    );
  });

  it('uses the in-cluster service account only inside a pod', () => {
    const pod = world(['/var/run/secrets/kubernetes.io/serviceaccount/token'], { KUBERNETES_SERVICE_HOST: '10.0.0.1' });
    expect(loadConfig(required, pod).kubeconfig).toBeUndefined();
    expect(() => loadConfig(required, world([]))).toThrow(
      new ConfigError(
        'no kubeconfig: pass --kubeconfig, set $KUBECONFIG, create /home/ada/.kube/config, or run in a pod with a service account',
      ),
    );
  });

  it('names the source of a kubeconfig file that does not exist', () => {
    expect(() => loadConfig([...required, '--kubeconfig', '/nope'], world([]))).toThrow(
      '--kubeconfig: kubeconfig file /nope does not exist',
    );
    expect(() => loadConfig(required, world([], { SCIM_OPERATOR_KUBECONFIG: '/nope' }))).toThrow(
      '$SCIM_OPERATOR_KUBECONFIG: kubeconfig file /nope does not exist',
    );
    expect(() => loadConfig(required, world([], { KUBECONFIG: '/nope' }))).toThrow(
      '$KUBECONFIG: kubeconfig file /nope does not exist',
    );
  });

  it('refuses a settings file that does not exist', () => {
    expect(() => loadConfig([...required, '--config', '/settings.yaml'], world(['/home/ada/.kube/config']))).toThrow(
      '--config: settings file /settings.yaml does not exist',
    );
  });

  it('says which flag is missing or malformed, one line each', () => {
    const home = world(['/home/ada/.kube/config']);
    expect(() => loadConfig([], home)).toThrow('--token-secret (or $SCIM_OPERATOR_TOKEN_SECRET): is required');
    expect(() => loadConfig([...required, '--request-timeout', '10'], home)).toThrow(
      /^--request-timeout \(or \$SCIM_OPERATOR_REQUEST_TIMEOUT_MS\): .*1000/,
    );
  });
});

describe('parseFlags', () => {
  const options = { kubeconfig: { type: 'string' as const }, verbose: { type: 'boolean' as const } };

  it('reads --name value and --name=value', () => {
    expect(parseFlags(['--kubeconfig', '/a'], options)).toMatchObject({ kubeconfig: '/a' });
    expect(parseFlags(['--kubeconfig=/a', '--verbose'], options)).toMatchObject({ kubeconfig: '/a', verbose: true });
  });

  it.each([
    { argv: ['--kubeconfig'], message: '--kubeconfig needs a value' },
    { argv: ['--kubeconfig', '--verbose'], message: '--kubeconfig needs a value' },
    { argv: ['--kubeconfig', '/a', 'stray'], message: 'unexpected argument "stray"; flags are written --name value' },
    { argv: ['--nope'], message: 'unknown flag --nope; see --help' },
  ])('refuses $argv with a ConfigError: $message', ({ argv, message }) => {
    expect(() => parseFlags(argv, options)).toThrow(new ConfigError(message));
  });
});
