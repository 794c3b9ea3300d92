import { z } from 'zod';
import { intKey } from './load-config.ts';

/**
 * Keys every process reads (docs/cli.md), with the same defaults
 * everywhere. Services extend this object with their own keys.
 */
export const sharedKeys = {
  /** NATS server(s), comma-separated */
  NATS_URL: z
    .string()
    .default('nats://127.0.0.1:4222')
    .transform((s) =>
      s
        .split(',')
        .map((u) => u.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^(nats|tls|ws|wss):\/\/[^\s]+$/, 'must be nats://host:port[,…]')).min(1))
    .describe('NATS server(s), comma-separated'),
  /** PostgreSQL URL of this process's own role */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\/[^\s]+$/, 'must be a postgres:// URL')
    .default('postgres://postgres@127.0.0.1:5432/ops')
    .describe("PostgreSQL for the ledger and seed (each service may have its own role's URL)"),
  /** NATS user of this process (deploy/nats/nats.conf: one per service); empty = no auth (local dev) */
  NATS_USER: z
    .string()
    .regex(/^[A-Za-z0-9_-]{0,64}$/, 'must match [A-Za-z0-9_-]{0,64}')
    .default('')
    .describe('NATS user of this process (one per service, see docs/security.md); empty: no authentication'),
  /** its password (a Secret in compose/Kubernetes, never in a ConfigMap) */
  NATS_PASSWORD: z.string().max(256).default('').describe('password of NATS_USER (from a Secret)'),
  /** prefix for every stream, subject, KV bucket, consumer and service name */
  NATS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{0,32}$/, 'must match [A-Za-z0-9_-]{0,32}')
    .default('')
    .describe('prefix for every stream, subject, KV bucket, consumer and service name'),
  /** pino level */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('pino level'),
  /** JetStream replicas for streams and KV (3 in production clusters) */
  NATS_REPLICAS: intKey(1, 1, 5).describe('JetStream replicas for the streams and the KV bucket'),
  /** NODE_ENV; `production` refuses destructive seed flags */
  NODE_ENV: z
    .enum(['development', 'production', 'test'])
    .default('development')
    .describe('runtime environment; production refuses `seed --fresh` without --force'),
} as const;
