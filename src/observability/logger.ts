import { type DestinationStream, type Logger, pino } from 'pino';
import { serializeError } from './error-cause.ts';

export type { Logger };

/**
 * The root logger: JSON lines on stdout. Secrets never reach it: redaction is a second line of defence. An `err`
 * field is logged as its one-line cause (error-cause.ts), never as a whole API response with its headers.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { app: 'scim-operator' },
      redact: {
        paths: ['token', 'authorization', '*.authorization', 'headers.authorization', '*.token'],
        censor: '[redacted]',
      },
      serializers: { err: serializeError },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
