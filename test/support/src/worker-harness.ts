import { type JetStreamClient, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { type AssignmentWorker, startAssignmentWorker } from '@ops/assignment-worker/app';
import { workerConfigSchema } from '@ops/assignment-worker/config';
import type { EnsureRunRequestInputV1, RunV1 } from '@ops/contracts';
import { DB_ROLES } from '@ops/db';
import { type FakeGraph, startFakeGraph } from '@ops/fake-graph';
import { type DispatchResult, dispatch } from '@ops/ledger-client';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { testEnv } from './env.ts';
import { type HarnessOptions, type LedgerHarness, useLedgerHarness } from './ledger-harness.ts';
import { captureLogger } from './logger.ts';
import { type ServiceProcess, startService } from './process.ts';

export const GRAPH_SECRET = 'fake-graph-client-secret-0123456789';

/**
 * A whole system per test file: a seeded database, an in-process ledger, a
 * fake Graph (real HTTP), and workers — in-process, or as separate processes
 * where a test kills one. Timings are shortened (ack wait, heartbeat, stale
 * lease) so redelivery paths run in seconds; defaults stay in config.ts.
 */
export interface WorkerStack extends LedgerHarness {
  graph: FakeGraph;
  js: JetStreamClient;
  workerLogLines: string[];
  workerEnv(extra?: Record<string, string>): Record<string, string>;
  startWorker(extra?: Record<string, string>): Promise<AssignmentWorker>;
  startWorkerProcess(extra?: Record<string, string>): Promise<ServiceProcess>;
  policies(tenant?: number): Promise<Array<{ id: string; external_id: string }>>;
  dispatch(
    type: 'assignments.fetch' | 'assignments.restore',
    tenant?: number,
    policyIds?: string[],
    extra?: Partial<EnsureRunRequestInputV1>,
  ): Promise<DispatchResult>;
  waitCompleted(runId: string, timeoutMs?: number): Promise<RunV1>;
  getRun(runId: string): Promise<RunV1>;
  ledgerMessages(): Promise<string[]>;
}

export function useWorkerStack(options: HarnessOptions & { ledgerEnv?: Record<string, string> } = {}): WorkerStack {
  const h = useLedgerHarness(options.ledgerEnv ?? {}, options) as WorkerStack;
  const workers: AssignmentWorker[] = [];
  const processes: ServiceProcess[] = [];
  beforeAll(async () => {
    h.graph = await startFakeGraph({ port: 0, clientId: 'ops-test', clientSecret: GRAPH_SECRET });
    h.js = jetstream(h.nc);
    const captured = captureLogger('assignment-worker');
    h.workerLogLines = captured.lines;
    h.workerEnv = (extra = {}) => ({
      NATS_URL: testEnv.NATS_URL.join(','),
      DATABASE_URL: h.db.urlAs(DB_ROLES.worker),
      NATS_PREFIX: h.names.prefix,
      HTTP_PORT: '0',
      GRAPH_AUTHORITY_URL: h.graph.url,
      GRAPH_BASE_URL: h.graph.url,
      GRAPH_CLIENT_ID: 'ops-test',
      GRAPH_CLIENT_SECRET: GRAPH_SECRET,
      GRAPH_MAX_RETRIES: '1',
      GRAPH_MAX_RETRY_AFTER_MS: '2000',
      WORKER_ACK_WAIT_MS: '4000',
      WORKER_HEARTBEAT_MS: '300',
      // short enough for redelivery tests, long enough for a loaded CI machine
      WORKER_LEASE_STALE_MS: '3000',
      // fence + renewal timeout < stale (the config's rule)
      WORKER_LEASE_FENCE_MS: '1800',
      WORKER_LEASE_RENEW_TIMEOUT_MS: '600',
      WORKER_SHUTDOWN_GRACE_MS: '2000',
      LOG_LEVEL: 'debug',
      ...extra,
    });
    h.startWorker = async (extra = {}) => {
      const config = workerConfigSchema.parse(h.workerEnv(extra));
      const worker = await startAssignmentWorker({ config, logger: captured.logger });
      workers.push(worker);
      return worker;
    };
    h.startWorkerProcess = async (extra = {}) => {
      const proc = startService('services/assignment-worker/src/main.ts', h.workerEnv(extra));
      processes.push(proc);
      await proc.waitForOutput(/assignment-worker ready/);
      return proc;
    };
    h.policies = async (tenant = 0) =>
      h.service.orm.em
        .fork()
        .execute<Array<{ id: string; external_id: string }>>('SELECT id, external_id FROM policies WHERE tenant_id = ? ORDER BY name, id', [
          h.seed.tenants[tenant]!.id,
        ]);
    h.dispatch = (type, tenant = 0, policyIds = [], extra = {}) =>
      dispatch(h.client, {
        workspace_id: h.seed.workspace.id,
        tenant_id: h.seed.tenants[tenant]!.id,
        type,
        inputs: { policy_ids: policyIds },
        initiator: { name: 'test' },
        ...extra,
      });
    h.getRun = (runId) => h.client.getRun({ workspace_id: h.seed.workspace.id, run_id: runId });
    h.waitCompleted = async (runId, timeoutMs = 30_000) => {
      await expect.poll(async () => (await h.getRun(runId)).status, { timeout: timeoutMs, interval: 100 }).toBe('completed');
      return h.getRun(runId);
    };
    h.ledgerMessages = async () => {
      const jsm = await jetstreamManager(h.nc);
      const out: string[] = [];
      for (const stream of [h.names.streams.ledger, h.names.streams.dlq]) {
        const info = await jsm.streams.info(stream);
        for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq += 1) {
          const m = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
          if (m)
            out.push(
              `${m.subject} ${JSON.stringify(m.header ? Object.fromEntries([...m.header.keys()].map((k) => [k, m.header.get(k)])) : {})} ${new TextDecoder().decode(m.data)}`,
            );
        }
      }
      return out;
    };
  });
  afterEach((ctx) => {
    // a failed test shows what the workers said (the lines are sanitized logs)
    if (ctx.task.result?.state === 'fail') {
      const tail = [...h.workerLogLines.slice(-40), ...processes.flatMap((p) => p.output().split('\n').slice(-40))];
      process.stderr.write(`--- worker logs (tail) ---\n${tail.join('\n')}\n`);
    }
  });
  afterAll(async () => {
    for (const p of processes) await p.stop('SIGKILL');
    for (const w of workers) {
      await w.stopIntake();
      await w.close();
    }
    await h.graph?.close();
  });
  return h;
}
