import { randomUUID } from 'node:crypto';
import type { JetStreamClient } from '@nats-io/jetstream';
import { catalogEntry, computeIdentity, jobFor, type RunType, type RunV1 } from '@ops/contracts';
import type { LedgerHarness } from './ledger-harness.ts';

export interface InsertRunOptions {
  readonly type?: RunType;
  /** a tenant of the seeded workspace (index), or an id of another */
  readonly tenant?: number | string;
  readonly policyIds?: readonly string[];
  readonly workspaceId?: string;
}

/**
 * A queued run whose job was never stored — what the ledger leaves when its
 * publish fails — written straight into the table (as its owner). Since the
 * ledger publishes a run's job itself once it is created (issue #18), this is
 * how a test gets a run without a job: to publish a job of its own making,
 * or to have none at all.
 */
export async function insertRun(h: Pick<LedgerHarness, 'sql' | 'client' | 'seed'>, o: InsertRunOptions = {}): Promise<RunV1> {
  const type = o.type ?? 'assignments.fetch';
  const workspaceId = o.workspaceId ?? h.seed.workspace.id;
  const tenantId = typeof o.tenant === 'string' ? o.tenant : h.seed.tenants[o.tenant ?? 0]!.id;
  const id = randomUUID();
  const identity = computeIdentity({ type, workspaceId, tenantId, inputs: { policy_ids: o.policyIds ?? [] } });
  await h.sql(
    `INSERT INTO operation_runs (id, workspace_id, tenant_id, initiator_name, type, status, outcome, run_identity_hash, context,
                                 job_generation, created_at, updated_at)
     VALUES ($1, $2, $3, 'test', $4, 'queued', 'pending', $5, $6::jsonb, 0, now(), now())`,
    [
      id,
      workspaceId,
      tenantId,
      type,
      identity.hash,
      JSON.stringify({ inputs: identity.fingerprintInputs, label: catalogEntry(type).label }),
    ],
  );
  return h.client.getRun({ workspace_id: workspaceId, run_id: id });
}

/**
 * Publishes a run's job by hand, as a writer other than the ledger would: no
 * generation header, so a worker reads the run from the ledger first. The
 * test's connection has no NATS permissions to stop it.
 */
export async function publishJobByHand(js: JetStreamClient, jobSubject: string, run: RunV1, msgId: string = run.id): Promise<number> {
  const ack = await js.publish(jobSubject, JSON.stringify(jobFor(run)), { msgID: msgId });
  return ack.seq;
}
