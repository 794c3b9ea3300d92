import { type Env, intKey, loadConfig, sharedKeys } from '@ops/config';
import { Cron } from 'croner';
import { z } from 'zod';

/** housekeeping configuration: the shared keys plus its own (README lists them all). */
export const housekeepingConfigSchema = z.object({
  ...sharedKeys,
  HTTP_PORT: intKey(8083, 0, 65535).describe('HTTP port for /healthz, /readyz, /metrics (housekeeping)'),
  HOUSEKEEPING_CRON: z
    .string()
    .default('*/5 * * * *')
    .refine((pattern) => {
      try {
        new Cron(pattern, { paused: true }).stop();
        return true;
      } catch {
        return false;
      }
    }, 'must be a cron expression (5 fields, or 6 with seconds)')
    .describe('when ops.reconcile_adapter_runs runs for every workspace (cron; default every 5 minutes)'),
  HOUSEKEEPING_STALE_GRACE_SECONDS: intKey(120, 1, 86_400).describe(
    'a running run is stale when quiet this long and its lease is gone, or its lease stayed at the same revision for the expected duration plus this (seen by housekeeping, on its own clock)',
  ),
  HOUSEKEEPING_LEASE_STALE_MS: intKey(120_000, 1_000, 3_600_000).describe(
    'a workspace lease another replica sees unchanged this long (on its own clock) belongs to a dead execution; executions renew theirs every quarter of it and stop half of it after their last renewal',
  ),
  HOUSEKEEPING_QUEUED_AFTER_SECONDS: intKey(300, 1, 86_400).describe(
    'a queued run this old has its job published again (same Nats-Msg-Id)',
  ),
  HOUSEKEEPING_LEDGER_TIMEOUT_MS: intKey(5_000, 100, 120_000).describe('timeout of one ledger request (ms)'),
});
export type HousekeepingConfig = z.infer<typeof housekeepingConfigSchema>;

export function loadHousekeepingConfig(env?: Env): Readonly<HousekeepingConfig> {
  return loadConfig(housekeepingConfigSchema, env);
}
