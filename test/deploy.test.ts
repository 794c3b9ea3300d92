import { execFileSync, spawnSync } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { workerConfigSchema } from '@ops/assignment-worker/config';
import { loadConfig } from '@ops/config';
import { consoleConfigSchema } from '@ops/console/config';
import { DB_ROLES } from '@ops/db';
import { fakeGraphConfigSchema } from '@ops/fake-graph/config';
import { housekeepingConfigSchema } from '@ops/housekeeping/config';
import { ledgerConfigSchema } from '@ops/ledger-service/config';
import { seedConfigSchema } from '@ops/ledger-service/seed-config';
import { opsctlConfigSchema } from '@ops/opsctl/config';
import { ROOT } from '@ops/test-support';
import { describe, expect, inject, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import type { z } from 'zod';
import { NATS_USERS, type NatsUser, natsPermissions } from '../deploy/nats/permissions.ts';

/**
 * docker-compose.yml and the Kubernetes manifests, checked as data against
 * the code (no Docker engine or cluster here): every env key a container
 * gets exists in its process's config schema, the set parses with that
 * schema, ports and probes match what the services serve, images are
 * pinned, secrets only come from a Secret / the git-ignored .env, each
 * process uses its own NATS user and PostgreSQL role.
 */
type Schema = z.ZodObject;
const SCHEMAS: Record<string, Schema> = {
  'ledger-service': ledgerConfigSchema,
  seed: seedConfigSchema,
  'assignment-worker': workerConfigSchema,
  housekeeping: housekeepingConfigSchema,
  'fake-graph': fakeGraphConfigSchema,
  opsctl: opsctlConfigSchema,
  console: consoleConfigSchema,
};
/** the NATS user and database role of each process (docs/security.md) */
const IDENTITY: Record<string, { nats?: NatsUser; role?: string }> = {
  'ledger-service': { nats: 'ledger', role: DB_ROLES.ledger },
  seed: { role: 'ops_migrator' },
  'assignment-worker': { nats: 'worker', role: DB_ROLES.worker },
  housekeeping: { nats: 'housekeeping' },
  opsctl: { nats: 'opsctl', role: DB_ROLES.cli },
  'fake-graph': {},
  console: { nats: 'console' },
};
/** the env key of each server's HTTP port (the rest: HTTP_PORT) */
const PORT_KEY: Record<string, string> = { 'fake-graph': 'FAKE_GRAPH_PORT', console: 'CONSOLE_PORT' };
/** servers without /metrics: not annotated for scraping */
const UNSCRAPED = ['fake-graph'];
const SEED_COMMAND = ['node', '--import', '@ops/runtime/register', 'src/seed/main.ts', '--if-empty'];
const PINNED = /^[\w./-]+:[0-9][\w.-]*$/;
const SECRETISH = /PASSWORD|SECRET|TOKEN|DATABASE_URL/;

/** A value each secret key would hold, so the schema can parse the whole environment. */
function secretStandIn(key: string): string {
  return /DATABASE_URL/.test(key) ? 'postgres://ops_x:pw@postgres:5432/ops' : 'stand-in-secret-0123456789';
}

function requiredKeys(schema: Schema): string[] {
  return Object.entries(schema.shape)
    .filter(([, field]) => !(field as z.ZodType).safeParse(undefined).success)
    .map(([key]) => key);
}

function checkEnv(process: string, env: Record<string, string>): void {
  const schema = SCHEMAS[process]!;
  const known = Object.keys(schema.shape);
  expect(
    Object.keys(env).filter((k) => !known.includes(k)),
    `${process}: keys no schema reads`,
  ).toEqual([]);
  expect(
    requiredKeys(schema).filter((k) => !(k in env)),
    `${process}: required keys not set`,
  ).toEqual([]);
  expect(() => loadConfig(schema, env), process).not.toThrow();
}

// ---------------------------------------------------------------- compose --

interface ComposeService {
  image: string;
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  healthcheck?: unknown;
  depends_on?: Record<string, { condition: string }>;
  read_only?: boolean;
  cap_drop?: string[];
  volumes?: string[];
}

async function compose(): Promise<Record<string, ComposeService>> {
  const doc = parse(await readFile(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, ComposeService>;
  };
  return doc.services;
}

/** `${VAR:?msg}` → a stand-in of the right shape (what `docker compose` interpolates from .env; long enough for a console token). */
function interpolate(value: string): string {
  return value.replace(/\$\{([A-Z0-9_]+)(?::[?-][^}]*)?\}/g, (_, v: string) => `stand-in-${v.toLowerCase()}-0123456789`);
}

describe('docker-compose.yml', () => {
  it('pins every image and publishes ports on loopback only', async () => {
    for (const [name, svc] of Object.entries(await compose())) {
      expect(svc.image, name).toMatch(PINNED);
      for (const port of svc.ports ?? []) expect(port, name).toMatch(/^127\.0\.0\.1:/);
    }
  });

  it('gives every process an environment its config schema accepts, with its own NATS user and database role', async () => {
    const services = await compose();
    for (const [name, svc] of Object.entries(services)) {
      if (!(name in SCHEMAS)) continue;
      const env = Object.fromEntries(Object.entries(svc.environment ?? {}).map(([k, v]) => [k, interpolate(String(v))]));
      checkEnv(name, env);
      const { nats, role } = IDENTITY[name]!;
      expect(svc.environment?.['NATS_USER'], name).toBe(nats);
      if (nats) expect(svc.environment?.['NATS_PASSWORD'], name).toMatch(new RegExp(`^\\$\\{${natsPermissions()[nats].passwordEnv}:\\?`));
      if (role) expect(new URL(interpolate(svc.environment!['DATABASE_URL']!)).username, name).toBe(role);
      else expect(svc.environment?.['DATABASE_URL'], name).toBeUndefined();
      // hardened like the Kubernetes pods
      expect(svc.read_only, name).toBe(true);
      expect(svc.cap_drop, name).toEqual(['ALL']);
    }
  });

  it('holds no secret: every password comes from .env interpolation', async () => {
    for (const [name, svc] of Object.entries(await compose())) {
      for (const [key, value] of Object.entries(svc.environment ?? {})) {
        if (!SECRETISH.test(key)) continue;
        const literal = String(value).replace(/\$\{[^}]+\}/g, '');
        expect(literal, `${name}.${key}`).not.toMatch(/:[^/@]+@/);
        expect(String(value), `${name}.${key}`).toMatch(/\$\{[A-Z0-9_]+:\?/);
      }
    }
  });

  it('starts in order: seed after PostgreSQL, the ledger after the seed and NATS, the rest after the ledger', async () => {
    const s = await compose();
    expect(s['nats']!.healthcheck).toBeDefined();
    expect(s['postgres']!.healthcheck).toBeDefined();
    expect(s['seed']!.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    expect(s['ledger-service']!.depends_on).toEqual({
      nats: { condition: 'service_healthy' },
      seed: { condition: 'service_completed_successfully' },
    });
    expect(s['assignment-worker']!.depends_on?.['ledger-service']).toEqual({ condition: 'service_healthy' });
    expect(s['housekeeping']!.depends_on?.['ledger-service']).toEqual({ condition: 'service_healthy' });
    expect(s['console']!.depends_on?.['ledger-service']).toEqual({ condition: 'service_healthy' });
    // the worker scales with --scale: no fixed container name or host port
    expect(s['assignment-worker']!.ports).toBeUndefined();
    expect(s['assignment-worker']).not.toHaveProperty('container_name');
  });

  it('publishes the console on the host loopback only (0.0.0.0 inside its container)', async () => {
    const c = (await compose())['console']!;
    expect(c.ports).toEqual(['127.0.0.1:8084:8084']);
    expect(c.environment).toMatchObject({ CONSOLE_HOST: '0.0.0.0', CONSOLE_PORT: '8084' });
    expect(c.environment?.['CONSOLE_TOKEN']).toMatch(/^\$\{CONSOLE_TOKEN:\?/);
  });

  it('has an override in deploy/docker/compose.local.yml for every image it builds or pulls (no registry in CI)', async () => {
    // the console's build once pulled node:24.21.0-bookworm-slim from Docker Hub in the compose test: no override
    const local = parse(await readFile(join(ROOT, 'deploy/docker/compose.local.yml'), 'utf8')) as {
      services: Record<string, { image?: string; pull_policy?: string; build?: { args?: Record<string, string> } }>;
    };
    for (const name of Object.keys(await compose())) {
      const o = local.services[name];
      const covered = o?.pull_policy === 'never' || o?.build?.args?.['BASE']?.startsWith('ops-base/') === true;
      expect(covered, `${name}: no local base or stand-in in compose.local.yml`).toBe(true);
    }
  });

  it('mounts the shipped NATS config and the role script', async () => {
    const s = await compose();
    expect(s['nats']!.volumes).toEqual(
      expect.arrayContaining(['./deploy/nats/nats.conf:/etc/nats/nats.conf:ro', './deploy/nats/auth.conf:/etc/nats/auth.conf:ro']),
    );
    expect(s['nats']!.command).toEqual(['-c', '/etc/nats/nats.conf', '-sd', '/data/jetstream']);
    for (const user of NATS_USERS) expect(s['nats']!.environment).toHaveProperty(natsPermissions()[user].passwordEnv);
    expect(s['postgres']!.volumes).toContain('./deploy/postgres/init-roles.sh:/docker-entrypoint-initdb.d/10-init-roles.sh:ro');
    expect(s['seed']!.command).toEqual(SEED_COMMAND);
  });
});

// ------------------------------------------------------------- kubernetes --

interface K8sDoc {
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string }; fieldRef?: unknown } }>;
  envFrom?: Array<{ configMapRef?: { name: string } }>;
  ports?: Array<{ name: string; containerPort: number }>;
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; capabilities?: { drop?: string[] } };
}
interface PodTemplate {
  metadata?: { annotations?: Record<string, string> };
  spec: { containers: Container[]; securityContext?: { runAsNonRoot?: boolean } };
}

const MANIFEST_DIRS = ['deploy/base', 'deploy/nats', 'deploy/postgres', 'deploy/overlays/dev', 'deploy/overlays/prod'];

async function manifests(): Promise<K8sDoc[]> {
  const docs: K8sDoc[] = [];
  for (const dir of MANIFEST_DIRS) {
    for (const file of await readdir(join(ROOT, dir))) {
      if (!file.endsWith('.yaml') || file === 'kustomization.yaml') continue;
      const text = await readFile(join(ROOT, dir, file), 'utf8');
      for (const d of parseAllDocuments(text)) if (d.contents) docs.push(d.toJS() as K8sDoc);
    }
  }
  return docs;
}

function podTemplate(doc: K8sDoc): PodTemplate | undefined {
  if (!['Deployment', 'StatefulSet', 'Job'].includes(doc.kind)) return undefined;
  return (doc.spec as { template: PodTemplate }).template;
}

/** the ConfigMap literals of a kustomization (configMapGenerator) by name */
async function generatedConfigMaps(dir: string): Promise<Record<string, Record<string, string>>> {
  const k = parse(await readFile(join(ROOT, dir, 'kustomization.yaml'), 'utf8')) as {
    configMapGenerator?: Array<{ name: string; literals?: string[] }>;
  };
  const maps: Record<string, Record<string, string>> = {};
  for (const gen of k.configMapGenerator ?? []) {
    maps[gen.name] = Object.fromEntries((gen.literals ?? []).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  }
  return maps;
}

/** process of a container: the seed job runs the ledger image with the seed command */
function processOf(c: Container): string {
  if (c.command?.join(' ').includes('src/seed/main.ts')) return 'seed';
  return c.image.replace(/^ops\//, '').replace(/:.*$/, '');
}

describe('Kubernetes manifests (deploy/)', () => {
  it('run each process with an environment its schema accepts, its own NATS user and database role, from ConfigMap and Secret', async () => {
    const configMaps = await generatedConfigMaps('deploy/base');
    const template = (parseAllDocuments(await readFile(join(ROOT, 'deploy/base/secret.template.yaml'), 'utf8'))[0]!.toJS() as K8sDoc)
      .stringData!;
    let checked = 0;
    for (const doc of await manifests()) {
      for (const c of podTemplate(doc)?.spec.containers ?? []) {
        if (!c.image.startsWith('ops/')) continue;
        const proc = processOf(c);
        const env: Record<string, string> = {};
        for (const ref of c.envFrom ?? []) Object.assign(env, configMaps[ref.configMapRef!.name] ?? {});
        for (const e of c.env ?? []) {
          const secret = e.valueFrom?.secretKeyRef;
          if (secret) {
            expect(secret.name, `${doc.metadata.name}.${e.name}`).toBe('ops-secrets');
            expect(Object.keys(template), `Secret key ${secret.key} missing in secret.template.yaml`).toContain(secret.key);
            env[e.name] = secretStandIn(secret.key);
          } else {
            expect(SECRETISH.test(e.name) && e.value !== undefined, `${doc.metadata.name}: ${e.name} must come from a Secret`).toBe(false);
            env[e.name] = e.value ?? '';
          }
        }
        checkEnv(proc, env);
        const { nats, role } = IDENTITY[proc]!;
        expect(env['NATS_USER'], proc).toBe(nats);
        if (nats)
          expect(c.env!.find((e) => e.name === 'NATS_PASSWORD')!.valueFrom!.secretKeyRef!.key, proc).toBe(
            natsPermissions()[nats].passwordEnv,
          );
        if (role) {
          const key = c.env!.find((e) => e.name === 'DATABASE_URL')!.valueFrom!.secretKeyRef!.key;
          expect(new URL(template[key]!.replace(/<[^>]+>/g, 'x')).username, proc).toBe(role);
        } else {
          expect(env['DATABASE_URL'], proc).toBeUndefined();
        }
        checked++;
      }
    }
    // ledger, worker, housekeeping, seed, fake-graph, console
    expect(checked).toBe(6);
  });

  it('probe /healthz and /readyz on the port the service listens on, and annotate it for scraping', async () => {
    let services = 0;
    let probed = 0;
    for (const doc of await manifests()) {
      const pod = podTemplate(doc);
      if (!pod || doc.kind !== 'Deployment') continue;
      for (const c of pod.spec.containers) {
        const proc = processOf(c);
        const port = Number(c.env!.find((e) => e.name === (PORT_KEY[proc] ?? 'HTTP_PORT'))!.value);
        expect(c.ports, proc).toEqual([{ name: 'http', containerPort: port }]);
        expect(c.livenessProbe?.httpGet, proc).toEqual({ path: '/healthz', port: 'http' });
        expect(c.readinessProbe?.httpGet?.port, proc).toBe('http');
        expect(c.readinessProbe?.httpGet?.path, proc).toBe(proc === 'fake-graph' ? '/healthz' : '/readyz');
        probed++;
        if (UNSCRAPED.includes(proc)) {
          expect(pod.metadata?.annotations?.['prometheus.io/scrape'], proc).toBeUndefined();
          continue;
        }
        expect(pod.metadata?.annotations, proc).toMatchObject({
          'prometheus.io/scrape': 'true',
          'prometheus.io/port': String(port),
          'prometheus.io/path': '/metrics',
        });
        services++;
      }
    }
    // scraped: ledger, worker, housekeeping, console; probed as well: fake-graph
    expect(services).toBe(4);
    expect(probed).toBe(5);
  });

  it('pin images, set requests and limits, and run non-root with a read-only root filesystem and no privilege escalation', async () => {
    let containers = 0;
    for (const doc of await manifests()) {
      const pod = podTemplate(doc);
      if (!pod) continue;
      expect(pod.spec.securityContext?.runAsNonRoot, doc.metadata.name).toBe(true);
      for (const c of pod.spec.containers) {
        expect(c.image, c.name).toMatch(PINNED);
        expect(c.resources?.requests, c.name).toHaveProperty('cpu');
        expect(c.resources?.requests, c.name).toHaveProperty('memory');
        expect(c.resources?.limits, c.name).toHaveProperty('memory');
        expect(c.securityContext, c.name).toEqual({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
        containers++;
      }
    }
    expect(containers).toBeGreaterThanOrEqual(8);
  });

  it('keep the console inside the cluster: one replica, a ClusterIP Service, no Ingress, its memory limit', async () => {
    const docs = await manifests();
    const deployment = docs.find((d) => d.kind === 'Deployment' && d.metadata.name === 'console')!;
    expect(deployment.spec!['replicas']).toBe(1);
    const c = podTemplate(deployment)!.spec.containers[0]!;
    expect(c.image).toBe((await compose())['console']!.image);
    expect(c.resources?.limits?.['memory']).toBe('192Mi');
    const service = docs.find((d) => d.kind === 'Service' && d.metadata.name === 'console')!;
    expect(service.spec).toMatchObject({ type: 'ClusterIP', ports: [{ name: 'http', port: 8084, targetPort: 'http' }] });
    expect(docs.filter((d) => d.kind === 'Ingress')).toEqual([]);
  });

  it('run the seed Job with the same entrypoint as the compose seed', async () => {
    const job = (await manifests()).find((d) => d.kind === 'Job')!;
    const container = podTemplate(job)!.spec.containers[0]!;
    expect(container.command).toEqual(SEED_COMMAND);
    expect(container.image).toBe((await compose())['seed']!.image);
  });

  it('ship a Secret template with placeholders only', async () => {
    const template = (parseAllDocuments(await readFile(join(ROOT, 'deploy/base/secret.template.yaml'), 'utf8'))[0]!.toJS() as K8sDoc)
      .stringData!;
    for (const [key, value] of Object.entries(template)) expect(value, key).toMatch(/<[^>]+>/);
    // the generator writes every key the template has
    const generated = execFileSync('bash', [join(ROOT, 'deploy/make-secrets.sh')], { encoding: 'utf8' });
    const keys = generated
      .trim()
      .split('\n')
      .map((l) => l.slice(0, l.indexOf('=')));
    expect(keys).toEqual(expect.arrayContaining(Object.keys(template)));
  });

  const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
  // kubectl's built-in kustomize renders the overlays exactly as `kubectl apply -k` would
  it.runIf(kubectl)('build with kustomize: dev in-cluster with generated secrets, prod with a 3-node NATS and R3', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ops-deploy-'));
    try {
      await cp(join(ROOT, 'deploy'), join(dir, 'deploy'), { recursive: true, filter: (src) => !src.includes('node_modules') });
      await writeFile(
        join(dir, 'deploy/overlays/dev/secrets.env'),
        execFileSync('bash', [join(ROOT, 'deploy/make-secrets.sh')], { encoding: 'utf8' }),
      );
      const render = (overlay: string) =>
        parseAllDocuments(execFileSync('kubectl', ['kustomize', join(dir, 'deploy/overlays', overlay)], { encoding: 'utf8' })).map(
          (d) => d.toJS() as K8sDoc,
        );
      const dev = render('dev');
      const prod = render('prod');
      const kinds = (docs: K8sDoc[]) => docs.map((d) => `${d.kind}/${d.metadata.name.replace(/-[a-z0-9]{10}$/, '')}`).sort();
      expect(kinds(dev)).toEqual(
        expect.arrayContaining([
          'Namespace/ops',
          'StatefulSet/nats',
          'StatefulSet/postgres',
          'Deployment/fake-graph',
          'Deployment/ledger-service',
          'Deployment/assignment-worker',
          'Deployment/housekeeping',
          'Deployment/console',
          'Service/console',
          'Job/ops-seed',
          'HorizontalPodAutoscaler/assignment-worker',
          'PodDisruptionBudget/assignment-worker',
          'Secret/ops-secrets',
          'ConfigMap/nats-config',
        ]),
      );
      expect(kinds(prod)).not.toContain('StatefulSet/postgres');
      expect(kinds(prod)).not.toContain('Secret/ops-secrets');
      const nats = prod.find((d) => d.kind === 'StatefulSet' && d.metadata.name === 'nats')!;
      expect(nats.spec!['replicas']).toBe(3);
      const natsConf = prod.find((d) => d.kind === 'ConfigMap' && d.metadata.name.startsWith('nats-config'))!.data!;
      expect(natsConf['nats.conf']).toMatch(/cluster \{/);
      expect(natsConf['auth.conf']).toBe(await readFile(join(ROOT, 'deploy/nats/auth.conf'), 'utf8'));
      const shared = prod.find((d) => d.kind === 'ConfigMap' && d.metadata.name.startsWith('ops-shared'))!.data!;
      expect(shared['NATS_REPLICAS']).toBe('3');
      for (const d of [...dev, ...prod])
        expect((d.metadata as { namespace?: string }).namespace ?? 'ops', `${d.kind}/${d.metadata.name}`).toBe('ops');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the nats-server version: tested = deployed', () => {
  it('compose and the NATS StatefulSet (dev and prod) pin the exact version this test run is using', async () => {
    const tested = inject('natsServerVersion');
    expect(tested).toMatch(/^\d+\.\d+\.\d+$/);
    const compose = parse(await readFile(join(ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, { image?: string }> };
    const statefulset = parseAllDocuments(await readFile(join(ROOT, 'deploy/nats/statefulset.yaml'), 'utf8'))
      .map((d) => d.toJSON() as { kind?: string; spec?: { template?: { spec?: { containers?: Array<{ name: string; image: string }> } } } })
      .find((d) => d.kind === 'StatefulSet');
    const images = {
      'docker-compose.yml nats': compose.services['nats']?.image,
      'deploy/nats/statefulset.yaml nats': statefulset?.spec?.template?.spec?.containers?.find((c) => c.name === 'nats')?.image,
    };
    for (const [where, image] of Object.entries(images)) {
      // the official image, its full version, the alpine variant (compose's health check needs wget)
      expect(image, where).toBe(`nats:${tested}-alpine`);
    }
  });
});
