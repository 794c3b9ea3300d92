import { type LedgerEventV1, type RunV1, runEventMsgId } from '@ops/contracts';
import { type HousekeepingStack, insertRun, sleep } from '@ops/test-support';
import { expect } from 'vitest';

// The storm's legitimate runs, created before it (through a real dispatch and through events the test publishes).

/** Runs the test creates legitimately before the storm (and their owners' ids). */
export interface Fixtures {
  ws: string;
  tenant0: string;
  tenant1: string;
  otherWs: string;
  otherTenant: string;
  otherPolicy: string;
  policies0: string[];
  /** completed through a real dispatch (attempt 1) */
  r1: RunV1;
  /** completed at attempt 2 by events the test published */
  r3: RunV1;
  /** running at attempt 3, seq 5 */
  r2: RunV1;
  /** queued, never executed (no job) */
  r0: RunV1;
  /** a queued run of the other workspace */
  rx: RunV1;
}

const hourAgo = Date.now() - 3_600_000;
export const at = (s: number) => new Date(hourAgo + s * 1000).toISOString();

/** expect.poll is not allowed in hooks */
async function until<T>(get: () => Promise<T>, ok: (v: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v).slice(0, 500)}`);
    await sleep(100);
  }
}

/** Publishes a well-formed ledger event of a fixture run (its msgID as a worker would set it). */
async function publishLegit(h: HousekeepingStack, event: LedgerEventV1): Promise<void> {
  await h.js.publish(h.names.ledgerEventSubject(event.kind), new TextEncoder().encode(JSON.stringify(event)), {
    msgID: runEventMsgId(event),
  });
}

/** r1 completed by a real dispatch, r3 completed at attempt 2, r2 running at attempt 3 seq 5, r0 queued, rx of the other workspace. */
export async function createFixtures(h: HousekeepingStack): Promise<Fixtures> {
  const [other] = await h.sql<{ id: string }>(`SELECT id FROM workspaces WHERE slug = 'other'`);
  const [otherTenant] = await h.sql<{ id: string }>('SELECT id FROM tenants WHERE workspace_id = $1', [other!.id]);
  const [otherPolicy] = await h.sql<{ id: string }>('SELECT id FROM policies WHERE tenant_id = $1', [otherTenant!.id]);
  const ws = h.seed.workspace.id;
  const tenant0 = h.seed.tenants[0]!.id;
  const tenant1 = h.seed.tenants[1]!.id;
  const policies0 = (await h.policies(0)).map((p) => p.id);
  const policies1 = (await h.policies(1)).map((p) => p.id);

  // r1: a real dispatch, executed by the worker
  const d1 = await h.dispatch('assignments.fetch', 0);
  const r1 = await until(
    () => h.getRun(d1.run.id),
    (r) => r.status === 'completed',
    'r1 completed',
  );
  expect(r1).toMatchObject({ outcome: 'succeeded', attempt: 1, summary_counts: { total: 3, processed: 3, failed: 0 } });

  // runs without a job (the ledger publishes one for a dispatch): the events below are all that happens to them
  const ensure = (tenant: string, type: 'assignments.fetch' | 'assignments.restore', policyIds: string[], workspaceId = ws) =>
    insertRun(h, { tenant, type, policyIds, workspaceId });
  // r3: completed at attempt 2 (attempt 1 started, then attempt 2 completed)
  const r3q = await ensure(tenant1, 'assignments.fetch', [policies1[0]!]);
  const base3 = { v: 1 as const, run_id: r3q.id, workspace_id: ws, owner: 'bad-input-test' };
  await publishLegit(h, { ...base3, kind: 'started', attempt: 1, seq: 0, at: at(1) });
  await publishLegit(h, { ...base3, kind: 'started', attempt: 2, seq: 0, at: at(2) });
  await publishLegit(h, { ...base3, kind: 'progress', attempt: 2, seq: 1, at: at(3), counts: { total: 1, processed: 1, failed: 0 } });
  await publishLegit(h, {
    ...base3,
    kind: 'completed',
    attempt: 2,
    seq: 2,
    at: at(4),
    outcome: 'succeeded',
    counts: { total: 1, processed: 1, failed: 0 },
    failures: [],
  });
  // r2: running at attempt 3, seq 5
  const r2q = await ensure(tenant0, 'assignments.fetch', [policies0[0]!]);
  const base2 = { v: 1 as const, run_id: r2q.id, workspace_id: ws, owner: 'bad-input-test' };
  await publishLegit(h, { ...base2, kind: 'started', attempt: 3, seq: 0, at: at(1) });
  for (let seq = 1; seq <= 5; seq += 1)
    await publishLegit(h, {
      ...base2,
      kind: 'progress',
      attempt: 3,
      seq,
      at: at(1 + seq),
      counts: { total: 5, processed: seq, failed: 0 },
    });
  // r0: queued forever (no job); rx: queued in the other workspace
  const r0 = await ensure(tenant1, 'assignments.restore', [policies1[1]!]);
  const rx = await ensure(otherTenant!.id, 'assignments.fetch', [], other!.id);

  await until(
    () => h.getRun(r3q.id),
    (r) => r.status === 'completed',
    'r3 completed',
  );
  await until(
    () => h.getRun(r2q.id),
    (r) => r.summary_counts['processed'] === 5,
    'r2 at seq 5',
  );
  const fx: Fixtures = {
    ws,
    tenant0,
    tenant1,
    otherWs: other!.id,
    otherTenant: otherTenant!.id,
    otherPolicy: otherPolicy!.id,
    policies0,
    r1,
    r3: await h.getRun(r3q.id),
    r2: await h.getRun(r2q.id),
    r0,
    rx,
  };
  expect(fx.r3).toMatchObject({ status: 'completed', attempt: 2 });
  expect(fx.r2).toMatchObject({ status: 'running', attempt: 3 });
  return fx;
}
