import { Counter, type Registry, registerBuildInfo } from '@ops/runtime';

/**
 * housekeeping's Prometheus metrics (prefixed ops_housekeeping_), and
 * ops_build_info; the bus gauges it reads from NATS are in bus-metrics.ts.
 */
export function createHousekeepingMetrics(registry: Registry) {
  registerBuildInfo(registry, new URL('../package.json', import.meta.url));
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
