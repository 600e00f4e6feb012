import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';

/**
 * The only place that reads flags, environment and files for configuration. Everything downstream receives a
 * validated, typed `Config`. Flags win over environment variables, which win over defaults.
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
  kubeconfig: z.string().optional(),
  scimAddress: address,
  metricsAddress: address,
  tokenSecret: secretRef,
  publicUrl: z.url().optional(),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']),
  requestTimeoutMs: z.coerce.number().int().min(1000).max(300_000),
  configFile: z.string().optional(),
});

export type Config = z.infer<typeof configSchema>;

export const runFlags = {
  kubeconfig: {
    type: 'string',
    // Not $KUBECONFIG itself: that may be a colon-separated list, which client-node's default loading handles.
    env: 'SCIM_OPERATOR_KUBECONFIG',
    help: 'kubeconfig file; default: $KUBECONFIG, then ~/.kube/config, then the in-cluster service account',
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
    help: 'deadline of one SCIM request, in milliseconds',
  },
} as const satisfies Record<string, { type: 'string'; env: string; default?: string; help: string }>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses `run` flags and environment into a Config; a ConfigError names the bad flag and the expected form. */
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): Config {
  const { values } = parseArgs({
    args: argv,
    options: Object.fromEntries(Object.entries(runFlags).map(([name, f]) => [name, { type: f.type }])),
    strict: true,
    allowPositionals: false,
  });
  const pick = (name: keyof typeof runFlags) => {
    const flag = runFlags[name];
    return (values[name] as string | undefined) ?? env[flag.env] ?? ('default' in flag ? flag.default : undefined);
  };
  const raw = {
    kubeconfig: pick('kubeconfig'),
    scimAddress: pick('scim-address'),
    metricsAddress: pick('metrics-address'),
    tokenSecret: pick('token-secret'),
    publicUrl: pick('public-url'),
    logLevel: pick('log-level'),
    requestTimeoutMs: pick('request-timeout'),
    configFile: pick('config'),
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
    };
    const problems = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '');
      const name = flagOf[key] ?? key;
      const flag = runFlags[name as keyof typeof runFlags];
      const message = raw[key as keyof typeof raw] === undefined ? 'is required' : issue.message;
      return `--${name}${flag ? ` (or $${flag.env})` : ''}: ${message}`;
    });
    throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
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
