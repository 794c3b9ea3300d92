import { setTimeout as sleep } from 'node:timers/promises';
import type { JsMsg } from '@nats-io/jetstream';
import {
  catalogEntry,
  type DuplicateReason,
  decodeMessage,
  HEADERS,
  isOpsError,
  type JobV1,
  jobV1,
  type LeaseResult,
  leaseKey,
  parseRunInputs,
  type RunLeaseV1,
  type RunV1,
  sanitizeMessage,
} from '@ops/contracts';
import { attemptEvents, isDuplicateEventError, publishMarkedCompletion } from '@ops/ledger-client';
import { deadLetter } from '@ops/nats';
import { acquireLease } from '../work/acquire-lease.ts';
import { HAND_BACK_DELAY_MS, type JobResult, settle, type WorkerDeps } from '../work/deps.ts';
import { executeAttempt } from '../work/execute.ts';

const MAX_JOB_BYTES = 64 * 1024;
/** in-place get_run retries: 250 ms doubling up to 5 s */
const LEDGER_RETRY_FIRST_MS = 250;
const LEDGER_RETRY_MS = 5_000;

/**
 * One job message, start to end: validate → ask the ledger → take the lease
 * (execution-time dedupe, FR-006) → execute the attempt → settle the message.
 * Every path acks, naks, terminates (with a dead letter) or — when the lease
 * was lost — leaves the message to its new owner.
 */
export async function processJob(deps: WorkerDeps, msg: JsMsg, release: AbortSignal): Promise<JobResult> {
  const decoded = decodeMessage(jobV1, msg.data, MAX_JOB_BYTES);
  if (!decoded.ok) return deadLetterJob(deps, msg, decoded.reason, decoded.detail);
  const job = decoded.value;
  if (msg.subject !== deps.names.jobSubject(job.type) || !job.type.startsWith('assignments.') || job.tenant_id === null) {
    return deadLetterJob(deps, msg, 'subject_mismatch', `job of type ${job.type} on ${msg.subject}`);
  }
  // the inputs as the catalog reads them: a job whose inputs its type refuses is
  // bad input, never "every policy" (FR-004b: only whitelisted inputs exist)
  const inputs = parseRunInputs(job.type, job.inputs);
  if (!inputs.ok) return deadLetterJob(deps, msg, 'schema_invalid', inputs.issues.join('; '));
  const log = deps.logger.child({
    runId: job.run_id,
    tenantId: job.tenant_id,
    type: job.type,
    delivery: msg.info.deliveryCount,
    streamSeq: msg.info.streamSequence,
  });
  log.debug('job received');

  // the ledger published this job from the committed row, and this is its first delivery: the run
  // is what the job says — queued, never executed — so no get_run (issue #18); any other job asks
  const fresh = Number(msg.headers?.get(HEADERS.jobGeneration) ?? 0) === 1 && msg.info.deliveryCount === 1;
  const run = fresh ? runOfFreshJob(job) : await readRun(deps, msg, job, release, log);
  if (run === 'not_found') return deadLetterJob(deps, msg, 'unknown_run', "no such run in the job's workspace");
  if (run === 'released') {
    settle(deps, () => msg.nak(HAND_BACK_DELAY_MS));
    return 'released';
  }
  if ('error' in run) {
    log.warn({ err: run.error }, 'get_run failed; job retried later');
    settle(deps, () => msg.nak(LEDGER_RETRY_MS));
    return 'retry';
  }
  if (run.run_identity_hash !== job.run_identity_hash || run.type !== job.type || run.tenant_id !== job.tenant_id) {
    return deadLetterJob(deps, msg, 'run_mismatch', 'the job does not match its run in the ledger');
  }
  if (run.status === 'completed') return duplicate(deps, msg, job, 'already_completed', log);
  // what executes is what the ledger recorded when it created the run: the job only carries a copy,
  // and a copy that differs (hand-written, or from an older dispatcher) must not change the work
  const recorded = parseRunInputs(job.type, run.context['inputs']);
  if (!recorded.ok)
    return deadLetterJob(deps, msg, 'run_mismatch', `the run's recorded inputs do not parse: ${recorded.issues.join('; ')}`);
  if (JSON.stringify(recorded.value.fingerprint) !== JSON.stringify(inputs.value.fingerprint)) {
    log.warn("the job's inputs differ from its run's recorded inputs; the recorded ones execute");
  }

  const key = leaseKey(job.type, job.run_identity_hash);
  const acquired = await acquireLease(deps, {
    key,
    job,
    run,
    msg,
    release,
    log,
    inCooldown: (other) => inCooldown(deps, job, run, other, fresh),
  });
  switch (acquired.kind) {
    case 'already_completed':
      // its executor wrote the marker and may have died before the completed event was stored
      if (acquired.marker.result) return publishFromMarker(deps, msg, job, { ...acquired.marker, result: acquired.marker.result }, log);
      return duplicate(deps, msg, job, 'already_completed', log);
    case 'duplicate':
      return duplicate(deps, msg, job, 'already_running', log);
    case 'cancelled':
      // an operator cancelled it (the ledger's marker): acknowledged, never executed
      return duplicate(deps, msg, job, 'cancelled', log);
    case 'cooldown':
      return skipForCooldown(deps, msg, job, run.attempt + 1, log);
    case 'released':
      settle(deps, () => msg.nak(HAND_BACK_DELAY_MS));
      return 'released';
    case 'wait':
      log.info({ retryInMs: acquired.retryInMs }, 'lease held elsewhere; job retried later');
      settle(deps, () => msg.nak(acquired.retryInMs));
      return 'wait';
    case 'held':
      break;
  }
  const { holder } = acquired;
  deps.metrics.leases.inc({ event: acquired.takenFrom ? 'takeover' : 'acquired' });
  const attemptLog = log.child({ attempt: holder.attempt });
  attemptLog.debug('lease held; executing');
  return executeAttempt(deps, { msg, job, policyIds: recorded.value.policyIds, attempt: holder.attempt, holder, release, log: attemptLog });
}

/**
 * The cooldown is decided on ONE clock, the ledger's (docs/architecture.md,
 * "Cooldown"): this run is skipped only if the ledger created it less than the
 * cooldown after the marker's run completed — both times the ledger's. The
 * marker itself (its TTL restarted at the worker's write, a little after the
 * ledger's completed_at) is only the hint to ask.
 */
async function inCooldown(deps: WorkerDeps, job: JobV1, run: RunV1, markerRunId: string, fresh: boolean): Promise<boolean> {
  // a forced re-run (issue #21): the ledger created it inside the cooldown on purpose — the marker gives way
  if (job.force === true) return false;
  try {
    const other = await deps.ledger.getRun({ workspace_id: run.workspace_id, run_id: markerRunId });
    if (other.completed_at === null) return true;
    // a fresh job's run was not read: its creation time is the ledger's to tell — and a run closed
    // meanwhile (an operator's cancel) is skipped, never executed
    const own = fresh ? await deps.ledger.getRun({ workspace_id: run.workspace_id, run_id: run.id }) : run;
    if (own.status === 'completed') return true;
    const createdAt = own.created_at;
    return Date.parse(other.completed_at) + catalogEntry(run.type).cooldownSeconds * 1000 > Date.parse(createdAt);
  } catch {
    // not known to the ledger (yet), or no answer: the marker stands
    return true;
  }
}

/**
 * The run of a job the ledger published from its committed row, delivered for
 * the first time (generation 1, delivery 1): queued, attempt 0, its recorded
 * inputs those of the job (the ledger built it from them). Only what the
 * worker reads of a run is meaningful here.
 */
function runOfFreshJob(job: JobV1): RunV1 {
  return {
    id: job.run_id,
    workspace_id: job.workspace_id,
    tenant_id: job.tenant_id,
    type: job.type,
    status: 'queued',
    outcome: 'pending',
    run_identity_hash: job.run_identity_hash,
    summary_counts: {},
    failure_summary: [],
    context: { inputs: job.inputs },
    attempt: 0,
    dedupe_hits: 0,
    initiator_name: 'ledger',
    started_at: null,
    completed_at: null,
    created_at: job.dispatched_at,
    updated_at: job.dispatched_at,
  };
}

/**
 * get_run, retried in place while the ledger is unavailable: the message is
 * kept (`working()` every heartbeat resets its ack wait) instead of nak-ed, so an outage of
 * the ledger spends no delivery — a nak per outage interval would use up the
 * attempt budget before the job ever ran (docs/reliability.md, finding 1).
 */
async function readRun(
  deps: WorkerDeps,
  msg: JsMsg,
  job: JobV1,
  release: AbortSignal,
  log: WorkerDeps['logger'],
): Promise<RunV1 | 'not_found' | 'released' | { error: Error }> {
  // the ack-wait clock runs during the request and the backoff alike
  const working = setInterval(() => settle(deps, () => msg.working()), deps.settings.heartbeatMs);
  try {
    for (let retry = 0; ; retry += 1) {
      try {
        return await deps.ledger.getRun({ workspace_id: job.workspace_id, run_id: job.run_id });
      } catch (err) {
        if (isOpsError(err) && err.code === 'not_found') return 'not_found';
        // only an unreachable ledger is waited out in place; an error the ledger
        // answered (internal, …) may be specific to this job: hand it back with a
        // delay rather than hold a slot forever (the consumer never drops it)
        if (isOpsError(err) && err.code !== 'unavailable' && err.code !== 'timeout') return { error: err };
        const delay = Math.min(LEDGER_RETRY_FIRST_MS * 2 ** retry, LEDGER_RETRY_MS);
        if (retry % 10 === 0) log.warn({ err, retry, retryInMs: delay }, 'ledger unavailable; holding the job and asking again');
        deps.metrics.ledgerRetries.inc();
        try {
          await sleep(delay, undefined, { signal: release });
        } catch {
          return 'released';
        }
      }
    }
  } finally {
    clearInterval(working);
  }
}

async function duplicate(deps: WorkerDeps, msg: JsMsg, job: JobV1, reason: DuplicateReason, log: WorkerDeps['logger']): Promise<JobResult> {
  // never executed: acknowledged, logged, counted here and on the canonical run
  settle(deps, () => msg.ack());
  deps.metrics.duplicates.inc({ reason });
  log.info({ reason }, 'duplicate job acknowledged without executing');
  try {
    await deps.ledger.recordDuplicate({ workspace_id: job.workspace_id, run_id: job.run_id, reason });
  } catch (err) {
    log.warn({ err }, 'could not record the duplicate on the run');
  }
  return 'duplicate';
}

/**
 * This run's completion marker is written but the ledger has not completed
 * the run: the completed event the marker records is published again (the
 * same Nats-Msg-Id: JetStream drops it if it was stored), then the job is
 * acked. Nothing executes again.
 */
async function publishFromMarker(
  deps: WorkerDeps,
  msg: JsMsg,
  job: JobV1,
  marker: RunLeaseV1 & { result: LeaseResult },
  log: WorkerDeps['logger'],
): Promise<JobResult> {
  try {
    const { duplicate: stored } = await publishMarkedCompletion(deps.js, deps.names, job.workspace_id, marker);
    deps.metrics.duplicates.inc({ reason: stored ? 'already_completed' : 'completion_republished' });
    log.info({ attempt: marker.attempt, alreadyStored: stored }, 'completion published from the marker');
  } catch (err) {
    log.warn({ err }, 'could not publish the completion from the marker; job retried later');
    settle(deps, () => msg.nak(LEDGER_RETRY_FIRST_MS * 4));
    return 'retry';
  }
  settle(deps, () => msg.ack());
  return 'duplicate';
}

async function skipForCooldown(deps: WorkerDeps, msg: JsMsg, job: JobV1, attempt: number, log: WorkerDeps['logger']): Promise<JobResult> {
  // the identity completed less than the cooldown ago (FR-005): this run ends without executing
  const events = attemptEvents(
    deps.js,
    deps.names,
    { runId: job.run_id, workspaceId: job.workspace_id, attempt, owner: deps.owner },
    deps.now,
  );
  try {
    const skipped = [
      { code: 'run.skipped_cooldown' as const, message: 'skipped: the same job identity completed less than the cooldown ago', count: 1 },
    ];
    await events.completed(events.completion('cancelled', { total: 0, processed: 0, failed: 0 }, skipped, deps.now()));
  } catch (err) {
    // another delivery of this run skipped it already (the same event is stored): nothing left to do
    if (!isDuplicateEventError(err)) throw err;
  }
  settle(deps, () => msg.ack());
  deps.metrics.duplicates.inc({ reason: 'cooldown' });
  log.info('job skipped: identity in cooldown');
  return 'skipped';
}

async function deadLetterJob(deps: WorkerDeps, msg: JsMsg, reason: string, detail: string): Promise<JobResult> {
  try {
    await deadLetter(deps.js, deps.names, 'assignment-worker', msg, { reason, detail: sanitizeMessage(detail) });
    deps.metrics.deadLetters.inc({ reason });
    deps.logger.warn({ reason, subject: msg.subject, streamSeq: msg.info.streamSequence }, 'job dead-lettered');
    return 'dead_letter';
  } catch (err) {
    deps.logger.error({ err }, 'dead-lettering failed; job redelivered later');
    settle(deps, () => msg.nak(LEDGER_RETRY_MS));
    return 'retry';
  }
}
