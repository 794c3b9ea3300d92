import { readFileSync } from 'node:fs';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';

export { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** A per-process registry with Node's default metrics, labelled by service. */
export function createRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * `ops_build_info{service,version,node_version} 1`: what runs where. The
 * service label is the registry's default label. `version` is the service's
 * package.json version — the image carries that file (pnpm deploy), so the
 * same value holds in a container and in a checkout, and no configuration
 * key can drift from it (docs/monitoring.md). An absent series means the
 * service is not scraped at all: the "no build_info" alert.
 */
export function registerBuildInfo(registry: Registry, packageJson: URL): void {
  const gauge = new Gauge({
    name: 'ops_build_info',
    help: 'always 1: the running version (package.json) and Node.js release of this service',
    labelNames: ['version', 'node_version'] as const,
    registers: [registry],
  });
  gauge.set({ version: packageVersion(packageJson), node_version: process.version }, 1);
}

function packageVersion(packageJson: URL): string {
  const parsed = JSON.parse(readFileSync(packageJson, 'utf8')) as { version?: unknown };
  return typeof parsed.version === 'string' ? parsed.version : 'unknown';
}
