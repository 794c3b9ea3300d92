import { type DestinationStream, type Logger, pino } from 'pino';

/**
 * One root logger per process: JSON lines, constant message text,
 * variable data in fields, secret paths redacted. Errors are serialized
 * without their raw message/stack only after sanitizing (a peer may have
 * echoed a token into them).
 */
const REDACT_PATHS = [
  'password',
  'secret',
  'token',
  'authorization',
  'clientSecret',
  'client_secret',
  'accessToken',
  'access_token',
  'databaseUrl',
  'DATABASE_URL',
  '*.password',
  '*.secret',
  '*.token',
  '*.authorization',
  '*.Authorization',
  '*.clientSecret',
  '*.client_secret',
  '*.accessToken',
  '*.access_token',
  '*.databaseUrl',
  '*.DATABASE_URL',
  'headers.authorization',
  'req.headers.authorization',
  'config.GRAPH_CLIENT_SECRET',
];

interface LoggerOptions {
  readonly service: string;
  readonly level: string;
  /** scrubs a message/stack before it is written (the contracts sanitizer) */
  readonly scrub?: (text: string) => string;
  readonly destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const scrub = options.scrub ?? ((t: string) => t);
  return pino(
    {
      level: options.level,
      base: { service: options.service, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
      serializers: {
        err: (err: unknown) => serializeError(err, scrub),
        error: (err: unknown) => serializeError(err, scrub),
      },
    },
    options.destination ?? pino.destination({ fd: 1, sync: false }),
  );
}

function serializeError(err: unknown, scrub: (t: string) => string): unknown {
  if (!(err instanceof Error)) return typeof err === 'string' ? scrub(err) : err;
  const e = err as Error & { code?: unknown };
  const out: Record<string, unknown> = { type: e.name, message: scrub(e.message) };
  if (typeof e.code === 'string' || typeof e.code === 'number') out['code'] = e.code;
  if (e.stack) {
    // frames only (the first line repeats the message)
    out['stack'] = e.stack
      .split('\n')
      .slice(1, 8)
      .map((l) => l.trim())
      .join(' | ');
  }
  if (e.cause instanceof Error) out['cause'] = serializeError(e.cause, scrub);
  return out;
}
