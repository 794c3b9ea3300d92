import { randomUUID } from 'node:crypto';
import { catalogEntry, decodeRequest, isRunType, OpsError, parseRunInputs, type RerunRunReplyV1, rerunRunRequestV1 } from '@ops/contracts';
import { toRunView } from '../repositories/run-view.ts';
import type { AdminDeps } from './deps.ts';

/**
 * rerun_run (issue #21): a new run of a completed run's job — its type,
 * tenant, recorded inputs and identity — through ensure_run, so dedupe and the
 * cooldown apply as to any dispatch. `force` bypasses the cooldown only: the
 * new run's context says `force: true`, its job carries it (jobFor), and the
 * worker then replaces the identity's completion marker by compare-and-set
 * instead of skipping. The overlap rule is never bypassed: an active run of
 * the identity is answered (`active`) and nothing is created. The new run's
 * context links the original (`rerun_of`); its initiator is the actor.
 */
export async function rerunRun(deps: AdminDeps, data: Uint8Array): Promise<RerunRunReplyV1> {
  const req = decodeRequest(rerunRunRequestV1, data, deps.maxRequestBytes);
  const original = await deps.repo.getRun(req.workspace_id, req.run_id);
  if (!original) throw new OpsError('not_found', 'run not found in this workspace');
  if (!isRunType(original.type) || original.tenant_id === null) {
    throw new OpsError('conflict', `${original.type} runs are housekeeping's: run one now with \`opsctl housekeeping run\``);
  }
  if (original.status !== 'completed') {
    throw new OpsError('conflict', `run is ${original.status}: re-run a completed run (cancel it first to stop it)`);
  }
  const inputs = parseRunInputs(original.type, original.context['inputs']);
  if (!inputs.ok) throw new OpsError('conflict', `the run's recorded inputs do not parse: ${inputs.issues.join('; ')}`);
  const entry = catalogEntry(original.type);
  const result = await deps.ensurer.ensure({
    id: randomUUID(),
    workspaceId: original.workspace_id,
    tenantId: original.tenant_id,
    type: original.type,
    identityHash: original.run_identity_hash,
    context: { inputs: inputs.value.fingerprint, label: entry.label, rerun_of: original.id, ...(req.force ? { force: true } : {}) },
    initiatorName: req.actor,
    userId: null,
    cooldownSeconds: req.force ? 0 : entry.cooldownSeconds,
    explicitRunId: false,
    policyIds: inputs.value.policyIds,
  });
  deps.metrics.dispositions.inc({ type: original.type, disposition: result.disposition });
  const action =
    result.disposition === 'created'
      ? await deps.actions.record({
          id: randomUUID(),
          workspaceId: original.workspace_id,
          runId: result.row.id,
          action: 'rerun',
          actor: req.actor,
          reason: req.reason,
          at: deps.clock.now(),
          detail: { rerun_of: original.id, forced: req.force, published: result.published },
        })
      : null;
  deps.logger.info(
    { runId: result.row.id, rerunOf: original.id, disposition: result.disposition, forced: req.force, actor: req.actor },
    'rerun',
  );
  return {
    ok: true,
    disposition: result.disposition,
    run: toRunView(result.row),
    published: result.published,
    rerun_of: original.id,
    forced: req.force,
    action,
  };
}
