import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';

/**
 * The only place that reads flags, environment and files for configuration. Everything downstream receives a
 * validated, typed `Config`. Flags win over environment variables, which win over defaults. Every mistake is a
 * `ConfigError` whose message is one line per problem, naming the flag and what is expected.
 */

const address = z
  .string()
  .regex(/^(\[[^\]]+\]|[^:]*):\d{1,5}$/, 'expected host:port, e.g. 0.0.0.0:8080 or :8080')
  .transform((value) => {
    const index = value.lastIndexOf(':');
    const host = value.slice(0, index).replace(/^\[|\]$/g, '') || '0.0.0.0';
    return { host, port: Number(value.slice(index + 1)) };
  });

const secretRef = z
  .string()
  .regex(/^[a-z0-9-]+\/[a-z0-9.-]+$/, 'expected namespace/name of a Secret, e.g. scim-operator/scim-tokens')
  .transform((value) => {
    const [namespace, name] = value.split('/') as [string, string];
    return { namespace, name };
  });

export const configSchema = z.object({
  /** kubeconfig file(s), `path.delimiter`-separated as $KUBECONFIG may be; undefined: the in-cluster service account. */
  kubeconfig: z.string().optional(),
  scimAddress: address,
  metricsAddress: address,
  tokenSecret: secretRef,
  publicUrl: z.url().optional(),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']),
  requestTimeoutMs: z.coerce.number().int().min(1000).max(300_000),
  shutdownDrainMs: z.coerce.number().int().min(0).max(60_000).optional(),
  configFile: z.string().optional(),
});

export type Config = z.infer<typeof configSchema>;

export const runFlags = {
  kubeconfig: {
    type: 'string',
    env: 'SCIM_OPERATOR_KUBECONFIG',
    help: 'kubeconfig file; default: $SCIM_OPERATOR_KUBECONFIG, then $KUBECONFIG (a list is merged), then ~/.kube/config, then the in-cluster service account',
  },
  'scim-address': {
    type: 'string',
    env: 'SCIM_OPERATOR_SCIM_ADDRESS',
    default: ':8080',
    help: 'listen address of the SCIM endpoint',
  },
  'metrics-address': {
    type: 'string',
    env: 'SCIM_OPERATOR_METRICS_ADDRESS',
    default: ':9090',
    help: 'listen address of /metrics, /healthz and /readyz',
  },
  'token-secret': {
    type: 'string',
    env: 'SCIM_OPERATOR_TOKEN_SECRET',
    help: 'namespace/name of the Secret whose keys are the SCIM bearer tokens (required)',
  },
  'public-url': {
    type: 'string',
    env: 'SCIM_OPERATOR_PUBLIC_URL',
    help: 'the SCIM base URL as clients see it, for meta.location; default http://<scim-address>/scim/v2',
  },
  'log-level': {
    type: 'string',
    env: 'SCIM_OPERATOR_LOG_LEVEL',
    default: 'info',
    help: 'trace, debug, info, warn, error, fatal or silent',
  },
  config: {
    type: 'string',
    env: 'SCIM_OPERATOR_CONFIG',
    help: 'operator settings file (YAML): subject rule, role allowlist, shard size, workers',
  },
  'request-timeout': {
    type: 'string',
    env: 'SCIM_OPERATOR_REQUEST_TIMEOUT_MS',
    default: '30000',
    help: 'deadline of one SCIM request, in milliseconds, from 1000 to 300000',
  },
  'shutdown-drain': {
    type: 'string',
    env: 'SCIM_OPERATOR_SHUTDOWN_DRAIN_MS',
    default: '0',
    help: 'on SIGTERM, answer with Connection: close and wait up to this long (ms) for clients to close their keep-alive connections before closing the rest',
  },
} as const satisfies Record<string, { type: 'string'; env: string; default?: string; help: string }>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * node:util's parseArgs errors, as one line each: an unknown flag, a flag without its value, a stray argument.
 * A flag given as the last argument without a value, or followed by another flag, counts as missing its value.
 */
export function parseFlags(
  argv: string[],
  options: Record<string, { type: 'string' | 'boolean'; short?: string }>,
): Record<string, string | boolean | undefined> {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('--') || arg.includes('=')) continue;
    const option = options[arg.slice(2)];
    if (option?.type !== 'string') continue;
    const value = argv[i + 1];
    if (value === undefined || value.startsWith('--')) throw new ConfigError(`${arg} needs a value`);
    i++;
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (err) {
    const { code, message } = err as { code?: string; message: string };
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const flag = /'([^']+)'/.exec(message)?.[1] ?? message;
      throw new ConfigError(`unknown flag ${flag}; see --help`);
    }
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new ConfigError(message.split('\n')[0] ?? message);
    throw err;
  }
  if (parsed.positionals.length > 0) {
    throw new ConfigError(`unexpected argument "${parsed.positionals[0]}"; flags are written --name value`);
  }
  return parsed.values as Record<string, string | boolean | undefined>;
}

export interface ConfigEnvironment {
  env: NodeJS.ProcessEnv;
  homedir: string;
  fileExists(file: string): boolean;
}

const systemEnvironment = (): ConfigEnvironment => ({
  env: process.env,
  homedir: os.homedir(),
  fileExists: existsSync,
});

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * Where the Kubernetes credentials come from: --kubeconfig, $SCIM_OPERATOR_KUBECONFIG, $KUBECONFIG (a list),
 * ~/.kube/config, then the in-cluster service account (`undefined`). A file named explicitly must exist; with none
 * of them, say so rather than let client-node fall back to http://localhost:8080.
 */
export function resolveKubeconfig(flag: string | undefined, environment: ConfigEnvironment): string | undefined {
  const { env, fileExists } = environment;
  const named: Array<[string | undefined, string]> = [
    [flag, '--kubeconfig'],
    [env.SCIM_OPERATOR_KUBECONFIG, '$SCIM_OPERATOR_KUBECONFIG'],
  ];
  for (const [file, source] of named) {
    if (!file) continue;
    if (!fileExists(file)) throw new ConfigError(`${source}: kubeconfig file ${file} does not exist`);
    return file;
  }
  if (env.KUBECONFIG) {
    const files = env.KUBECONFIG.split(path.delimiter).filter((f) => f);
    const present = files.filter((f) => fileExists(f));
    if (present.length === 0) {
      throw new ConfigError(`$KUBECONFIG: kubeconfig file ${files.join(', ')} does not exist`);
    }
    return present.join(path.delimiter);
  }
  const home = path.join(environment.homedir, '.kube', 'config');
  if (fileExists(home)) return home;
  if (env.KUBERNETES_SERVICE_HOST && fileExists(SERVICE_ACCOUNT_TOKEN)) return undefined;
  throw new ConfigError(
    `no kubeconfig: pass --kubeconfig, set $KUBECONFIG, create ${home}, or run in a pod with a service account`,
  );
}

/** Parses `run` flags and environment into a Config; a ConfigError names the bad flag and the expected form. */
export function loadConfig(argv: string[], environment: Partial<ConfigEnvironment> = {}): Config {
  const world = { ...systemEnvironment(), ...environment };
  const env = world.env;
  const values = parseFlags(
    argv,
    Object.fromEntries(Object.entries(runFlags).map(([name, f]) => [name, { type: f.type }])),
  );
  const pick = (name: keyof typeof runFlags) => {
    const flag = runFlags[name];
    return (values[name] as string | undefined) ?? env[flag.env] ?? ('default' in flag ? flag.default : undefined);
  };
  const configFile = pick('config');
  if (configFile !== undefined && !world.fileExists(configFile)) {
    throw new ConfigError(`--config: settings file ${configFile} does not exist`);
  }
  const raw = {
    kubeconfig: resolveKubeconfig(values.kubeconfig as string | undefined, world),
    scimAddress: pick('scim-address'),
    metricsAddress: pick('metrics-address'),
    tokenSecret: pick('token-secret'),
    publicUrl: pick('public-url'),
    logLevel: pick('log-level'),
    requestTimeoutMs: pick('request-timeout'),
    shutdownDrainMs: pick('shutdown-drain'),
    configFile,
  };
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const flagOf: Record<string, string> = {
      scimAddress: 'scim-address',
      metricsAddress: 'metrics-address',
      tokenSecret: 'token-secret',
      publicUrl: 'public-url',
      logLevel: 'log-level',
      requestTimeoutMs: 'request-timeout',
      shutdownDrainMs: 'shutdown-drain',
    };
    const problems = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '');
      const name = flagOf[key] ?? key;
      const flag = runFlags[name as keyof typeof runFlags];
      const message = raw[key as keyof typeof raw] === undefined ? 'is required' : issue.message;
      return `--${name}${flag ? ` (or $${flag.env})` : ''}: ${message}`;
    });
    throw new ConfigError(problems.join('\n'));
  }
  return parsed.data;
}

/** The in-cluster service-account namespace, when running in a pod. */
export function podNamespace(): string | undefined {
  try {
    return readFileSync('/var/run/secrets/kubernetes.io/serviceaccount/namespace', 'utf8').trim();
  } catch {
    return undefined;
  }
}
