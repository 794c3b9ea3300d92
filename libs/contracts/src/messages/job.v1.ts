import { z } from 'zod';
import { runTypeSchema } from '../catalog.ts';
import { isoDateTime, uuidSchema } from './common.ts';
import type { RunV1 } from './run.v1.ts';

/**
 * ops.jobs.<type> (v1): published by the ledger alone (issue #18), once per
 * created run, with Nats-Msg-Id = run id so JetStream drops a re-publish
 * inside the 15-minute duplicate window, and the `Ops-Job-Generation` header.
 * Carries only the whitelisted fingerprint inputs — never secrets.
 */
export const jobV1 = z
  .object({
    v: z.literal(1),
    run_id: uuidSchema,
    workspace_id: uuidSchema,
    tenant_id: uuidSchema.nullable(),
    type: runTypeSchema,
    run_identity_hash: z.string().regex(/^[0-9a-f]{64}$/),
    inputs: z.record(z.string(), z.unknown()),
    dispatched_at: isoDateTime,
    /**
     * a forced re-run (`opsctl runs rerun --force`, issue #21): the ledger created it inside the
     * identity's cooldown, so the worker replaces the completion marker by compare-and-set instead
     * of skipping. Set only by the ledger (only it may publish jobs), from the run's context.
     */
    force: z.literal(true).optional(),
  })
  .strict();
export type JobV1 = z.infer<typeof jobV1>;

/** The job message of a run, built from the ledger's record of it (its recorded inputs). */
export function jobFor(run: RunV1, now: Date = new Date()): JobV1 {
  const inputs = run.context['inputs'];
  return {
    v: 1,
    run_id: run.id,
    workspace_id: run.workspace_id,
    tenant_id: run.tenant_id,
    type: run.type,
    run_identity_hash: run.run_identity_hash,
    inputs: inputs && typeof inputs === 'object' && !Array.isArray(inputs) ? (inputs as Record<string, unknown>) : {},
    dispatched_at: now.toISOString(),
    ...(run.context['force'] === true ? { force: true as const } : {}),
  };
}
