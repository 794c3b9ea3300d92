import type { RunV1 } from '@ops/contracts';
import fc from 'fast-check';
import { at, type Fixtures } from './fixtures.ts';
import { anyInstant, BAD_DATES, BAD_UUIDS, garbage, type Hostile, hex64Arb, mutated, PLANTED_SECRET, uuid4 } from './generators.ts';

// Hostile jobs (ops.jobs.assignments.*): every one must be dead-lettered
// with its reason. The fixtures are the runs they aim at.

const JOB_MAX_BYTES = 64 * 1024; // services/assignment-worker/src/handlers/process-job.ts
const enc = new TextEncoder();
const dec = new TextDecoder();

function jobBody(
  run: { id: string; workspace: string; tenant: string | null; type: string; hash: string },
  when: string,
): Record<string, unknown> {
  return {
    v: 1,
    run_id: run.id,
    workspace_id: run.workspace,
    tenant_id: run.tenant,
    type: run.type,
    run_identity_hash: run.hash,
    inputs: { policy_ids: [] },
    dispatched_at: when,
  };
}

export function jobArb(fx: Fixtures): fc.Arbitrary<Hostile> {
  const types = fc.constantFrom('assignments.fetch', 'assignments.restore');
  const known = () => fc.constantFrom(fx.r1, fx.r2, fx.r0, fx.r3);
  const wrong = {
    v: [0, 2, '1', null],
    run_id: BAD_UUIDS,
    workspace_id: BAD_UUIDS,
    tenant_id: ['', 'x', 5, PLANTED_SECRET, {}],
    type: ['assignments.delete', '', null, 5, 'ASSIGNMENTS.FETCH', PLANTED_SECRET],
    run_identity_hash: ['', 'ABCDEF'.repeat(11).slice(0, 64), 'g'.repeat(64), 'a'.repeat(63), 'a'.repeat(65), null, 7],
    inputs: [null, [], 'x', 5],
    dispatched_at: BAD_DATES,
  };
  const structural = fc.tuple(types, uuid4, hex64Arb).chain(([type, runId, hash]) =>
    mutated(fc.constant(jobBody({ id: runId, workspace: fx.ws, tenant: fx.tenant0, type, hash }, at(0))), Object.keys(wrong), wrong).map(
      (m) => ({
        label: `schema_${m.how}`,
        subject: type,
        data: enc.encode(m.text),
        expect: ['schema_invalid'],
      }),
    ),
  );
  const bytes = fc.tuple(types, uuid4, hex64Arb).chain(([type, runId, hash]) =>
    garbage(fc.constant(JSON.stringify(jobBody({ id: runId, workspace: fx.ws, tenant: fx.tenant0, type, hash }, at(0)))), JOB_MAX_BYTES, {
      oversized: 'oversized',
      encoding: 'invalid_encoding',
      json: 'invalid_json',
      schema: 'schema_invalid',
      empty: 'invalid_json',
    }).map((x) => ({ ...x, subject: type })),
  );
  const valid = (
    label: string,
    reason: string,
    subject: fc.Arbitrary<string> | null,
    run: fc.Arbitrary<{ id: string; workspace: string; tenant: string | null; type: string; hash: string }>,
  ) =>
    fc
      .tuple(run, anyInstant, subject ?? fc.constant(''))
      .map(([r, t, s]): Hostile => ({ label, subject: s || r.type, data: enc.encode(JSON.stringify(jobBody(r, t))), expect: [reason] }));
  const asJob = (r: RunV1) => ({ id: r.id, workspace: r.workspace_id, tenant: r.tenant_id, type: r.type, hash: r.run_identity_hash });

  return fc.oneof(
    { weight: 3, arbitrary: structural },
    { weight: 3, arbitrary: bytes },
    // a well-formed job on the wrong subject, of a workspace-scoped type, without a tenant
    {
      weight: 1,
      arbitrary: valid(
        'subject_mismatch',
        'subject_mismatch',
        fc.constantFrom('assignments.fetch', 'assignments.restore', 'assignments.delete', 'assignments.fetch.x'),
        fc.tuple(uuid4, hex64Arb, types).map(([id, hash, type]) => ({ id, workspace: fx.ws, tenant: fx.tenant0, type, hash })),
      ).filter((x) => !x.subject!.endsWith(JSON.parse(dec.decode(x.data)).type)),
    },
    {
      weight: 1,
      arbitrary: valid(
        'workspace_type_job',
        'subject_mismatch',
        fc.constantFrom('assignments.fetch'),
        fc
          .tuple(uuid4, hex64Arb)
          .map(([id, hash]) => ({ id, workspace: fx.ws, tenant: fx.tenant0, type: 'ops.reconcile_adapter_runs', hash })),
      ),
    },
    {
      weight: 1,
      arbitrary: valid(
        'tenantless_job',
        'subject_mismatch',
        null,
        fc.tuple(uuid4, hex64Arb, types).map(([id, hash, type]) => ({ id, workspace: fx.ws, tenant: null, type, hash })),
      ),
    },
    {
      weight: 2,
      arbitrary: valid(
        'unknown_run',
        'unknown_run',
        null,
        fc.tuple(uuid4, hex64Arb, types).map(([id, hash, type]) => ({ id, workspace: fx.ws, tenant: fx.tenant0, type, hash })),
      ),
    },
    {
      weight: 2,
      arbitrary: valid(
        'other_workspace_run',
        'unknown_run',
        null,
        fc.oneof(
          fc.constant(asJob(fx.rx)).map((r) => ({ ...r, workspace: fx.ws })),
          known().map((r) => ({ ...asJob(r), workspace: fx.otherWs })),
        ),
      ),
    },
    // a known run, but the job disagrees with it: hash, tenant (also another workspace's tenant) or type
    {
      weight: 2,
      arbitrary: valid(
        'run_mismatch',
        'run_mismatch',
        null,
        fc.tuple(known(), fc.constantFrom('hash', 'tenant', 'other_tenant', 'type'), hex64Arb).map(([r, how, hash]) => {
          const j = asJob(r);
          if (how === 'hash') return { ...j, hash: hash === j.hash ? hash.replace(/.$/, (c) => (c === '0' ? '1' : '0')) : hash };
          if (how === 'tenant') return { ...j, tenant: j.tenant === fx.tenant0 ? fx.tenant1 : fx.tenant0 };
          if (how === 'other_tenant') return { ...j, tenant: fx.otherTenant };
          return { ...j, type: j.type === 'assignments.fetch' ? 'assignments.restore' : 'assignments.fetch' };
        }),
      ),
    },
  );
}
