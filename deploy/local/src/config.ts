import { type Env, intKey, loadConfig, sharedKeys } from '@ops/config';
import { z } from 'zod';

/**
 * `pnpm start` reads the shared keys (NATS_URL, DATABASE_URL, …) and hands
 * the environment on to every service it starts. DATABASE_URL is the admin
 * URL here (the seed job creates and migrates the database); each service
 * gets the same URL with its own role as the user (least privilege), which
 * works as-is with local trust auth — with passwords, set LEDGER_DATABASE_URL.
 */
export const localConfigSchema = z.object({
  ...sharedKeys,
  LEDGER_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\/[^\s]+$/, 'must be a postgres:// URL')
    .optional()
    .describe('pnpm start only: the ledger-service URL (default: DATABASE_URL with user ops_ledger)'),
  WORKER_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\/[^\s]+$/, 'must be a postgres:// URL')
    .optional()
    .describe('pnpm start only: the assignment-worker URL (default: DATABASE_URL with user ops_worker)'),
  LOCAL_GRAPH_SECRET: z
    .string()
    .min(8)
    .default('local-fake-graph-secret')
    .describe('pnpm start only: the client secret shared by the fake Graph and the worker (not a real secret)'),
  START_PORT_BASE: intKey(8081, 1024, 65000).describe(
    'pnpm start only: HTTP port of ledger-service; the worker uses +1, housekeeping +2, the console +3, the fake Graph +9',
  ),
  // checked here too, so that a short token stops `pnpm start` before anything starts
  CONSOLE_TOKEN: z
    .string()
    .min(24, 'must be at least 24 characters')
    .optional()
    .describe("the console's operator token; pnpm start: a random one per start when unset, printed once on its terminal"),
  START_NATS_PORT: intKey(4223, 1024, 65535).describe(
    'pnpm start only: when NATS_URL is not set, the port of the nats-server 2.10 it starts itself (4222 is left to the machine)',
  ),
  START_NATS_STORE_DIR: z
    .string()
    .min(1)
    .default('.data/nats')
    .describe('pnpm start only: JetStream store of that nats-server (relative to the repository; kept across restarts)'),
});
export type LocalConfig = z.infer<typeof localConfigSchema>;

export function loadLocalConfig(env: Env = process.env): { config: Readonly<LocalConfig>; env: Record<string, string> } {
  const config = loadConfig(localConfigSchema, env);
  // children inherit the environment minus per-process keys they must not share
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && k !== 'HTTP_PORT' && !k.startsWith('GRAPH_')) childEnv[k] = v;
  return { config, env: childEnv };
}
