import { type JetStreamManager, jetstreamManager } from '@nats-io/jetstream';
import { HEADERS, jobV1 } from '@ops/contracts';
import { ensureTopology } from '@ops/nats';
import { cliEnv, opsctl, opsctlJson, useLedgerHarness } from '@ops/test-support';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DispatchJson } from '../src/commands/dispatch.ts';
import { policiesOf, publishEvents, TIMEOUT, UUID_V4 } from './support.ts';

const h = useLedgerHarness();
let env: Record<string, string>;
let jsm: JetStreamManager;

beforeAll(async () => {
  env = cliEnv(h);
  jsm = await jetstreamManager(h.nc);
});

const workspace = () => h.seed.workspace.id;
const tenant = (i = 0) => h.seed.tenants[i]!.id;

/** How many jobs of one subject the work-queue stream holds (no consumer reads them here). */
async function jobsOn(subject: string): Promise<number> {
  const info = await jsm.streams.info(h.names.streams.jobs, { subjects_filter: subject });
  return info.state.subjects?.[subject] ?? 0;
}

describe('opsctl dispatch', () => {
  it(
    'created → the ledger stored the job with Nats-Msg-Id = run id; the same dispatch again is active, its job already stored: nothing published',
    async () => {
      const policies = (await policiesOf(h, tenant())).slice(0, 2);
      const args = [
        'dispatch',
        'assignments.fetch',
        '--workspace',
        workspace(),
        '--tenant',
        tenant(),
        '--policy',
        policies[1]!,
        '--policy',
        policies[0]!,
      ];
      const first = await opsctlJson<DispatchJson>(args, env);
      expect(Object.keys(first)).toEqual(['run_id', 'disposition', 'run_identity_hash', 'published']);
      expect(first).toMatchObject({ disposition: 'created', published: true });
      expect(first.run_id).toMatch(UUID_V4);
      expect(first.run_identity_hash).toMatch(/^[0-9a-f]{64}$/);

      const subject = h.names.jobSubject('assignments.fetch');
      const msg = await jsm.streams.getMessage(h.names.streams.jobs, { last_by_subj: subject });
      expect(msg?.header?.get(HEADERS.msgId)).toBe(first.run_id);
      const job = jobV1.parse(msg!.json());
      expect(job).toMatchObject({ v: 1, run_id: first.run_id, workspace_id: workspace(), tenant_id: tenant(), type: 'assignments.fetch' });
      expect(job.run_identity_hash).toBe(first.run_identity_hash);
      expect(job.inputs).toEqual({ policy_ids: [...policies].sort() });
      expect(await jobsOn(subject)).toBe(1);

      const again = await opsctlJson<DispatchJson>(args, env);
      expect(again).toEqual({ run_id: first.run_id, disposition: 'active', run_identity_hash: first.run_identity_hash, published: false });
      // still the one job in the stream
      expect(await jobsOn(subject)).toBe(1);
      expect((await jsm.streams.getMessage(h.names.streams.jobs, { last_by_subj: subject }))?.seq).toBe(msg!.seq);
      const run = await h.client.getRun({ workspace_id: workspace(), run_id: first.run_id });
      expect(run).toMatchObject({ status: 'queued', dedupe_hits: 1, initiator_name: 'opsctl' });
    },
    TIMEOUT,
  );

  it(
    'the table form says what happened: created/published, then active and already queued/not published',
    async () => {
      const args = ['dispatch', 'assignments.restore', '--workspace', workspace(), '--tenant', tenant(1), '--initiator', 'alice'];
      const created = await opsctl(args, env);
      expect(created.stderr).toBe('');
      expect(created.code).toBe(0);
      const id = /^created run ([0-9a-f-]{36}) \(published job\)\n$/.exec(created.stdout)?.[1];
      expect(id).toMatch(UUID_V4);
      const active = await opsctl(args, env);
      expect(active.code).toBe(0);
      expect(active.stdout).toBe(`active: run ${id} is already queued — not published\n`);
      expect((await h.client.getRun({ workspace_id: workspace(), run_id: id! })).initiator_name).toBe('alice');
    },
    TIMEOUT,
  );

  it(
    'a completed identity is in cooldown: reported, not published',
    async () => {
      const policy = (await policiesOf(h, tenant(1)))[2]!;
      const args = ['dispatch', 'assignments.fetch', '--workspace', workspace(), '--tenant', tenant(1), '--policy', policy];
      const first = await opsctlJson<DispatchJson>(args, env);
      expect(first.published).toBe(true);
      await publishEvents(h.nc, h.names, { id: first.run_id, workspace_id: workspace() }, { completed: true });
      await expect
        .poll(async () => (await h.client.getRun({ workspace_id: workspace(), run_id: first.run_id })).status, { timeout: 10_000 })
        .toBe('completed');
      const before = await jobsOn(h.names.jobSubject('assignments.fetch'));

      const again = await opsctlJson<DispatchJson>(args, env);
      expect(again).toMatchObject({ run_id: first.run_id, disposition: 'cooldown', published: false });
      expect(await jobsOn(h.names.jobSubject('assignments.fetch'))).toBe(before);
      const text = await opsctl(args, env);
      expect(text.stdout).toMatch(new RegExp(`^cooldown: run ${first.run_id} completed at \\S+ — not published`));
    },
    TIMEOUT,
  );

  it(
    '--run-id is used as the run id',
    async () => {
      const runId = '0b7e1a52-8f0e-4c1d-9a53-6f1d2f1c0a01';
      const doc = await opsctlJson<DispatchJson>(
        ['dispatch', 'assignments.restore', '--workspace', workspace(), '--tenant', tenant(0), '--run-id', runId],
        env,
      );
      expect(doc).toMatchObject({ run_id: runId, disposition: 'created', published: true });
    },
    TIMEOUT,
  );
});

describe('opsctl dispatch — bad arguments (exit 2) and handled errors (exit 1)', () => {
  it(
    '--tenant missing for a tenant-scoped type → exit 2 naming --tenant',
    async () => {
      const r = await opsctl(['dispatch', 'assignments.fetch', '--workspace', workspace(), '--json'], env);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^opsctl: --tenant: is required for assignments\.fetch/);
      expect(r.stderr).toContain('usage: opsctl dispatch <type>');
    },
    TIMEOUT,
  );

  it(
    'an unknown or non-dispatchable type → exit 2 listing the valid types',
    async () => {
      for (const type of ['assignments.frobnicate', 'ops.reconcile_adapter_runs']) {
        const r = await opsctl(['dispatch', type, '--workspace', workspace(), '--json'], env);
        expect(r.code).toBe(2);
        expect(r.stdout).toBe('');
        expect(r.stderr.split('\n')[0]).toContain('valid types: assignments.fetch, assignments.restore');
      }
    },
    TIMEOUT,
  );

  it(
    'a malformed UUID (workspace, tenant, policy, run id) → exit 2 naming the option',
    async () => {
      const base = ['dispatch', 'assignments.fetch', '--workspace', workspace(), '--tenant', tenant()];
      const cases: Array<[string[], string]> = [
        [['dispatch', 'assignments.fetch', '--workspace', 'nope', '--tenant', tenant()], '--workspace: must be a UUID'],
        [['dispatch', 'assignments.fetch', '--workspace', workspace(), '--tenant', '12'], '--tenant: must be a UUID'],
        [[...base, '--policy', 'x'], '--policy: must be a UUID'],
        [[...base, '--run-id', 'x'], '--run-id: must be a UUID'],
      ];
      for (const [args, message] of cases) {
        const r = await opsctl(args, env);
        expect(r.code).toBe(2);
        expect(r.stderr.split('\n')[0]).toBe(`opsctl: ${message}`);
      }
    },
    TIMEOUT,
  );

  it(
    "a tenant of no workspace → exit 1 with the ledger's message; nothing published",
    async () => {
      const r = await opsctl(
        ['dispatch', 'assignments.fetch', '--workspace', workspace(), '--tenant', '7c1e4a52-8f0e-4c1d-9a53-6f1d2f1c0a99'],
        env,
      );
      expect(r.code).toBe(1);
      expect(r.stderr).toBe('opsctl: tenant not found in this workspace\n');
    },
    TIMEOUT,
  );

  it(
    'no ledger on the prefix → exit 1 "the ledger service is not running"',
    async () => {
      const r = await opsctl(['dispatch', 'assignments.fetch', '--workspace', workspace(), '--tenant', tenant()], {
        ...env,
        NATS_PREFIX: `${h.names.prefix}x`,
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^opsctl: the ledger service is not running .* — start it/);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    },
    TIMEOUT,
  );

  it(
    'NATS unreachable → exit 1 within 5 s with one clear line, no credentials',
    async () => {
      const r = await opsctl(['dispatch', 'assignments.fetch', '--workspace', workspace(), '--tenant', tenant(), '--json'], {
        ...env,
        NATS_URL: 'nats://ops:hunter2@127.0.0.1:1',
      });
      expect(r.code).toBe(1);
      expect(r.ms).toBeLessThan(5_000);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe('opsctl: NATS unreachable at 127.0.0.1:1 — start it or set NATS_URL\n');
    },
    TIMEOUT,
  );

  // last in the file: it removes the jobs stream
  it(
    'the ledger created the run but could not store its job → exit 1 naming the run and what to do; the retried dispatch stores it',
    async () => {
      await jsm.streams.delete(h.names.streams.jobs);
      const args = ['dispatch', 'assignments.fetch', '--workspace', workspace(), '--tenant', tenant(1), '--json'];
      const r = await opsctl(args, env);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      const runId =
        /^opsctl: run ([0-9a-f-]{36}) was created but the ledger could not store its job — retry the dispatch once JetStream is back, or housekeeping re-publishes queued runs\n$/.exec(
          r.stderr,
        )?.[1];
      expect(runId, r.stderr).toBeDefined();
      expect(await h.client.getRun({ workspace_id: workspace(), run_id: runId! })).toMatchObject({ status: 'queued' });

      await ensureTopology(h.nc, h.names, { replicas: 1, locksTtlMs: 60_000 });
      const retried = await opsctlJson<DispatchJson>(args, env);
      expect(retried).toMatchObject({ run_id: runId, disposition: 'active', published: true });
      expect(await jobsOn(h.names.jobSubject('assignments.fetch'))).toBe(1);
      const text = await opsctl(args.slice(0, -1), env);
      expect(text.stdout).toBe(`active: run ${runId} is already queued — not published\n`);
    },
    TIMEOUT,
  );
});
