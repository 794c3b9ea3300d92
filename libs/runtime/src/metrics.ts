import { collectDefaultMetrics, Registry } from 'prom-client';

export { Counter, Histogram, Registry } from 'prom-client';

/** A per-process registry with Node's default metrics, labelled by service. */
export function createRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}
