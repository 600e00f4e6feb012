import { type Logger, pino } from 'pino';

export type { Logger };

/** The root logger: JSON lines on stdout. Secrets never reach it: redaction is a second line of defence. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { app: 'scim-operator' },
    redact: {
      paths: ['token', 'authorization', '*.authorization', 'headers.authorization', '*.token'],
      censor: '[redacted]',
    },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
