import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/process.ts';

/** No Docker engine here: the compose file is checked as data (images pinned, defaults match, health checks). */
describe('docker-compose.yml', () => {
  it('pins its images, publishes the default ports on loopback and health-checks every service', async () => {
    const doc = parse(await readFile(join(ROOT, 'docker-compose.yml'), 'utf8')) as {
      services: Record<string, { image: string; ports?: string[]; healthcheck?: unknown }>;
    };
    const services = Object.entries(doc.services);
    expect(services.length).toBeGreaterThan(0);
    for (const [name, svc] of services) {
      expect(svc.image, name).toMatch(/:[0-9][\w.-]*$/);
      expect(svc.image, name).not.toMatch(/:latest$/);
      expect(svc.healthcheck, name).toBeDefined();
      for (const port of svc.ports ?? []) expect(port, name).toMatch(/^127\.0\.0\.1:/);
    }
    // the defaults of NATS_URL and DATABASE_URL point at these
    expect(doc.services['nats']!.ports).toContain('127.0.0.1:4222:4222');
    expect(doc.services['postgres']!.ports).toContain('127.0.0.1:5432:5432');
  });
});
