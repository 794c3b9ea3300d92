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
    healed: new Counter({
      name: 'ops_housekeeping_healed_total',
      help: 'runs healed by action: stale, lost, republish',
      labelNames: ['action'] as const,
      registers: [registry],
    }),
  };
}
export type HousekeepingMetrics = ReturnType<typeof createHousekeepingMetrics>;
