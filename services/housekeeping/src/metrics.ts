import { Counter, type Registry } from '@ops/runtime';

/** housekeeping's Prometheus metrics (prefixed ops_housekeeping_). */
export function createHousekeepingMetrics(registry: Registry) {
  return {
    executions: new Counter({
      name: 'ops_housekeeping_executions_total',
      help: 'reconcile executions by result: succeeded, failed, stood_down (another replica held the lease)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    healsDeferred: new Counter({
      name: 'ops_housekeeping_heals_deferred_total',
      help: 'executions that healed nothing because the ledger had not applied OPS_LEDGER up to the moment they looked',
      registers: [registry],
    }),
    healed: new Counter({
      name: 'ops_housekeeping_healed_total',
      help: 'runs healed by action: stale, lost, republish',
      labelNames: ['action'] as const,
      registers: [registry],
    }),
  };
}
export type HousekeepingMetrics = ReturnType<typeof createHousekeepingMetrics>;
