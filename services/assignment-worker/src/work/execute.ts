import type { JsMsg } from '@nats-io/jetstream';
import { FAILURE_CODES, type FailureCode, type JobV1, type LeaseResult, sanitizeMessage } from '@ops/contracts';
import { isGraphError } from '@ops/graph';
import { attemptEvents, isDuplicateEventError } from '@ops/ledger-client';
import type { Logger } from '@ops/logging';
import type { LeaseHolder } from '../domain/lease-holder.ts';
import { LeaseLostError } from '../domain/leases.ts';
import { Tally } from '../domain/tally.ts';
import { resolveSelection } from '../repositories/tenancy.ts';
import { HAND_BACK_DELAY_MS, type JobResult, settle, type WorkerDeps } from './deps.ts';
import { ITEM_WORK, type ItemContext, ItemError } from './items.ts';

/** A failure of the whole attempt that another attempt may not have (Graph down, throttled past retries, DB hiccup). */
class TransientRunError extends Error {
  override readonly name = 'TransientRunError';
  readonly code: FailureCode;
  constructor(code: FailureCode, message: string, cause: unknown) {
    super(message, { cause });
    this.code = code;
  }
}

class ReleasedError extends Error {
  override readonly name = 'ReleasedError';
}

/** The NATS connection is down: nothing is sent (nats.js would deliver it after the reconnect, perhaps after a takeover). */
class DisconnectedError extends Error {
  override readonly name = 'DisconnectedError';
}

export interface AttemptInput {
  readonly msg: JsMsg;
  readonly job: JobV1;
  /** the job's policy selection, read through its catalog schema (empty: every policy of the tenant) */
  readonly policyIds: readonly string[];
  /** this execution's attempt, allocated by the lease */
  readonly attempt: number;
  readonly holder: LeaseHolder;
  /** fires when the worker shuts down and must hand the job back */
  readonly release: AbortSignal;
  readonly log: Logger;
}

/**
 * Executes one attempt under a held lease: per-item work with progress, then
 * the completion marker (the lease `completed` with what the completed event
 * says: the last fence), then the completed event, and only then the ack
 * (docs/architecture.md, data flow steps 4–6). `started` is published only by
 * an attempt still running at its first heartbeat (or before its first
 * progress event); `completed` says when the attempt started. Counters are
 * this attempt's own (a new Tally), so the final attempt wins (FR-003).
 *
 * Fenced throughout (docs/architecture.md, "Fencing"): the holder's signal
 * aborts the Graph call and the database write in flight when the lease is
 * lost, and nothing — event, snapshot, lease write, ack, nak — is issued
 * unless the lease is held and the NATS connection is up.
 */
export async function executeAttempt(deps: WorkerDeps, input: AttemptInput): Promise<JobResult> {
  const { msg, job, attempt, holder, log } = input;
  /** throws unless this holder may still act: lease held (fence included), connection up */
  const fence = () => {
    // once the completion marker is written, the event it records is this attempt's to publish
    if (!holder.completed) holder.assertHeld();
    if (!deps.connected()) throw new DisconnectedError('the NATS connection is down');
  };
  const events = attemptEvents(
    deps.js,
    deps.names,
    { runId: job.run_id, workspaceId: job.workspace_id, attempt, owner: deps.owner },
    deps.now,
    fence,
  );
  const startedAt = deps.now();
  // a short run publishes no started event: its completion says when it started
  let started: Promise<void> | null = null;
  const ensureStarted = () => {
    started ??= events.started();
    return started;
  };
  const stopTimer = deps.metrics.jobDuration.startTimer({ type: job.type });
  const heartbeat = setInterval(() => {
    // the previous renewal is still in flight: skip this tick (see LeaseHolder#write)
    if (holder.busy || holder.lost || !deps.connected()) return;
    holder
      .renew(deps.now())
      .then(() => {
        settle(deps, () => msg.working());
        return ensureStarted();
      })
      .catch((err: unknown) => {
        if (err instanceof LeaseLostError) log.warn('lease lost during heartbeat; stopping');
        else log.warn({ err }, 'lease renewal failed');
      });
  }, deps.settings.heartbeatMs);
  const signal = AbortSignal.any([input.release, holder.signal]);
  let tally = new Tally(0);
  try {
    fence();
    const selection = await resolveSelection(deps.db, {
      workspace_id: job.workspace_id,
      tenant_id: job.tenant_id as string,
      policy_ids: input.policyIds,
    });
    if (!selection) throw new TransientRunError('run.internal', "the run's tenant was not found", null);
    tally = new Tally(selection.policies.length);
    const ctx: ItemContext = {
      graph: deps.graph,
      snapshots: deps.snapshots,
      workspaceId: job.workspace_id,
      tenantId: job.tenant_id as string,
      tenantExternalId: selection.tenantExternalId,
      runId: job.run_id,
      attempt,
      signal,
      fence: () => holder.assertHeld(),
      now: deps.now,
    };
    const work = ITEM_WORK[job.type as keyof typeof ITEM_WORK];
    for (const [i, policy] of selection.policies.entries()) {
      if (input.release.aborted) throw new ReleasedError('shutting down');
      holder.assertHeld();
      tally.begin();
      try {
        await work(ctx, policy);
        tally.succeed();
        deps.metrics.items.inc({ type: job.type, result: 'processed' });
      } catch (err) {
        // a lost lease or a shutdown aborts the item: not the item's failure
        holder.assertHeld();
        if (input.release.aborted) throw new ReleasedError('shutting down');
        if (err instanceof ItemError || (isGraphError(err) && !err.transient)) {
          tally.fail(err.code, err.message, deps.secrets);
          deps.metrics.items.inc({ type: job.type, result: 'failed' });
        } else if (isGraphError(err)) {
          throw new TransientRunError(err.code, err.message, err);
        } else {
          throw new TransientRunError('run.internal', FAILURE_CODES['run.internal'], err);
        }
      }
      const done = i + 1;
      if (done < selection.policies.length && done % deps.settings.progressEvery === 0) {
        await ensureStarted();
        await events.progress(tally.counts());
      }
    }
    // a started event on its way goes first (the ledger would ignore it after the completion anyway)
    await (started as Promise<void> | null)?.catch(() => undefined);
    const result = await complete(deps, input, events, events.completion(tally.outcome(), tally.counts(), tally.failures(), startedAt));
    if (result !== 'completed') return result;
    deps.metrics.jobs.inc({ type: job.type, result: tally.outcome() });
    log.info({ counts: tally.counts(), outcome: tally.outcome() }, 'run completed');
    return 'completed';
  } catch (err) {
    return await settleFailure(deps, input, events, tally, err, { startedAt, ensureStarted });
  } finally {
    clearInterval(heartbeat);
    stopTimer();
  }
}

async function settleFailure(
  deps: WorkerDeps,
  input: AttemptInput,
  events: ReturnType<typeof attemptEvents>,
  tally: Tally,
  err: unknown,
  attemptStart: { readonly startedAt: Date; readonly ensureStarted: () => Promise<void> },
): Promise<JobResult> {
  const { job, attempt, holder, log } = input;
  if (err instanceof LeaseLostError || err instanceof DisconnectedError || isDuplicateEventError(err) || holder.lost) {
    // a zombie, or cut off: someone else may own the run now — publish nothing, leave the message to them
    holder.dispose('attempt abandoned');
    deps.metrics.leases.inc({ event: 'lost' });
    log.warn({ why: err instanceof Error ? err.message : String(err) }, 'lease lost; attempt abandoned without publishing');
    return 'lease_lost';
  }
  if (err instanceof ReleasedError || input.release.aborted) {
    return handBack(deps, input, HAND_BACK_DELAY_MS, 'released', () => {
      deps.metrics.leases.inc({ event: 'released' });
      log.info('job released on shutdown');
    });
  }
  const failure = err instanceof TransientRunError ? err : new TransientRunError('run.internal', FAILURE_CODES['run.internal'], err);
  if (attempt < deps.settings.maxAttempts) {
    const delay = Math.min(1_000 * 2 ** (attempt - 1), 30_000) + Math.floor(Math.random() * 250);
    // the ledger learns this attempt happened (a short one published nothing yet): once the lease
    // expires, the ledger's attempt is the floor the next one starts above — attempts only grow
    await attemptStart.ensureStarted().catch((startErr: unknown) => log.warn({ err: startErr }, 'could not publish the started event'));
    return handBack(deps, input, delay, 'retry', () => {
      deps.metrics.jobs.inc({ type: job.type, result: 'retry' });
      log.warn({ err: failure.cause ?? failure, code: failure.code, retryInMs: delay }, 'attempt failed transiently; retrying');
    });
  }
  // out of attempts: the run ends failed with this (final) attempt's counters (each item counted once)
  tally.failRun(failure.code, sanitizeMessage(failure.message, { secrets: deps.secrets }), deps.secrets);
  const result = await complete(deps, input, events, events.completion('failed', tally.counts(), tally.failures(), attemptStart.startedAt));
  if (result !== 'completed') return result;
  deps.metrics.jobs.inc({ type: job.type, result: 'failed' });
  log.error({ code: failure.code, counts: tally.counts() }, 'run failed after its last attempt');
  return 'completed';
}

/**
 * Gives the run back: the lease says `retrying` (the next execution takes
 * attempt + 1 at once), then the message is nak-ed with the delay. If the
 * lease cannot be written the holder stops anyway: the message comes back
 * after its ack wait, and a later delivery finds the lease stale.
 */
async function handBack(deps: WorkerDeps, input: AttemptInput, delayMs: number, result: JobResult, report: () => void): Promise<JobResult> {
  try {
    await input.holder.retry(deps.now(), delayMs);
  } catch (err) {
    input.holder.dispose('hand-back not written');
    input.log.warn({ err }, 'could not mark the lease for a retry; the job comes back after its ack wait');
    return 'lease_lost';
  }
  settle(deps, () => input.msg.nak(delayMs));
  report();
  return result;
}

/** a completed event not stored after its marker was written: the job comes back this soon and publishes it from the marker */
const MARKED_RETRY_MS = 1_000;

/**
 * Ends the attempt: the completion marker (a CAS write at the holder's
 * revision — the last fence: refused, the attempt publishes nothing), then
 * the completed event it records, then the ack (only after the PubAck). A
 * plain ack, not `ackAck()`: should it be lost, the redelivery finds the run
 * completed and is acked as a duplicate. Should the event not be stored, the
 * job comes back and its redelivery publishes the event from the marker.
 */
async function complete(
  deps: WorkerDeps,
  input: AttemptInput,
  events: ReturnType<typeof attemptEvents>,
  result: LeaseResult,
): Promise<JobResult> {
  const { msg, holder, log } = input;
  try {
    await holder.complete(deps.now(), result);
  } catch (err) {
    holder.dispose('completion marker not written');
    if (err instanceof LeaseLostError || !deps.connected()) {
      deps.metrics.leases.inc({ event: 'lost' });
      log.warn(
        { why: err instanceof Error ? err.message : String(err) },
        'lease lost before the completion; attempt abandoned without publishing',
      );
      return 'lease_lost';
    }
    log.error({ err }, 'could not write the completion marker; job retried');
    settle(deps, () => msg.nak(MARKED_RETRY_MS));
    return 'retry';
  }
  try {
    await events.completed(result);
  } catch (err) {
    // stored already: another publisher of this marker (housekeeping) was first — the run is done
    if (!isDuplicateEventError(err)) {
      log.warn({ err }, 'completion marker written, completed event not stored: the redelivery publishes it from the marker');
      settle(deps, () => msg.nak(MARKED_RETRY_MS));
      return 'retry';
    }
  }
  settle(deps, () => msg.ack());
  return 'completed';
}
