import { type Housekeeping, startHousekeeping } from '@ops/housekeeping/app';
import { housekeepingConfigSchema } from '@ops/housekeeping/config';
import { afterAll } from 'vitest';
import { testEnv } from './env.ts';
import { captureLogger } from './logger.ts';
import { useWorkerStack, type WorkerStack } from './worker-harness.ts';

/** the ledger client housekeeping calls (a test wraps it to inject faults) */
type HousekeepingLedger = Housekeeping['deps']['ledger'];

/** The worker stack plus housekeeping (in-process, or as processes via housekeepingEnv). */
export interface HousekeepingStack extends WorkerStack {
  housekeepingEnv(extra?: Record<string, string>): Record<string, string>;
  startHousekeeping(extra?: Record<string, string>, wrapLedger?: (l: HousekeepingLedger) => HousekeepingLedger): Promise<Housekeeping>;
  housekeepingLogLines: string[];
}

// a schedule that never fires during a test: executions are triggered by hand
const NEVER = '0 0 1 1 *';

export function useHousekeepingStack(options: Parameters<typeof useWorkerStack>[0] = {}): HousekeepingStack {
  const h = useWorkerStack(options) as HousekeepingStack;
  const started: Housekeeping[] = [];
  const captured = captureLogger('housekeeping');
  h.housekeepingLogLines = captured.lines;
  h.housekeepingEnv = (extra = {}) => ({
    NATS_URL: testEnv.NATS_URL.join(','),
    NATS_PREFIX: h.names.prefix,
    HTTP_PORT: '0',
    HOUSEKEEPING_CRON: NEVER,
    HOUSEKEEPING_STALE_GRACE_SECONDS: '1',
    HOUSEKEEPING_QUEUED_AFTER_SECONDS: '1',
    LOG_LEVEL: 'debug',
    ...extra,
  });
  h.startHousekeeping = async (extra = {}, wrapLedger) => {
    const config = housekeepingConfigSchema.parse(h.housekeepingEnv(extra));
    const hk = await startHousekeeping({ config, logger: captured.logger, ...(wrapLedger ? { wrapLedger } : {}) });
    started.push(hk);
    return hk;
  };
  afterAll(async () => {
    for (const hk of started) {
      await hk.stopIntake();
      await hk.close();
    }
  });
  return h;
}
