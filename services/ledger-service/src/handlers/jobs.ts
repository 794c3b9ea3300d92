import type { JetStreamClient, JetStreamManager, PubAck } from '@nats-io/jetstream';
import { headers } from '@nats-io/nats-core';
import { encodeJson, HEADERS, jobFor, type Names, type RunV1 } from '@ops/contracts';

/**
 * The ledger is the only publisher of jobs (issue #18; the NATS permissions
 * say so): a run's job is published from the committed row — its recorded
 * inputs — with Nats-Msg-Id = run id (JetStream drops a copy inside its
 * 15-minute duplicate window) and the job's generation (1: the original).
 * Resolves once JetStream stored it, or says it was a duplicate.
 */
export async function publishRunJob(js: JetStreamClient, names: Names, run: RunV1, generation: number): Promise<StoredJob> {
  const ack = await publishJobMessage(js, names, run, generation, run.id);
  return { result: ack.duplicate ? 'duplicate' : 'published', seq: ack.duplicate ? null : ack.seq };
}

/** What a publish did, and the OPS_JOBS sequence it stored the job at (null: a duplicate, nothing new stored) — a cancel deletes it. */
export interface StoredJob {
  readonly result: 'published' | 'duplicate';
  readonly seq: number | null;
}

/** The run's job, from its committed row, with its generation, under `msgID`. */
function publishJobMessage(js: JetStreamClient, names: Names, run: RunV1, generation: number, msgID: string): Promise<PubAck> {
  const h = headers();
  h.set(HEADERS.jobGeneration, String(generation));
  return js.publish(names.jobSubject(run.type), encodeJson(jobFor(run)), { msgID, headers: h });
}

/**
 * Housekeeping's re-publish of a queued run's job (`republish_job`). Under
 * the run's own Nats-Msg-Id, JetStream answers "duplicate" while the original
 * is inside the duplicate window — right while it waits in the backlog, and
 * wrong when the worker consumer has delivered past it and lost track of it:
 * on a cluster, after a consumer leader change, a delivered job can be
 * neither pending nor unacknowledged yet still in the work-queue stream, and
 * is never delivered again (test/cluster/partition.test.ts: 4 runs queued for
 * good). The duplicate's publish ack names the original's stream sequence; if
 * the consumer has delivered past it, the job is published once more under
 * `<run id>:<generation>` and the original is deleted. A copy that turns out
 * not to be lost after all is a duplicate job, which the worker acknowledges
 * without executing (the lease and the ledger's status decide, as for any
 * redelivery).
 */
export async function republishRunJob(
  js: JetStreamClient,
  jsm: JetStreamManager,
  names: Names,
  run: RunV1,
  generation: number,
): Promise<StoredJob> {
  const ack = await publishJobMessage(js, names, run, generation, run.id);
  if (!ack.duplicate) return { result: 'published', seq: ack.seq };
  const consumer = await jsm.consumers.info(names.streams.jobs, names.consumers.assignmentWorker);
  // still ahead of the consumer: it waits its turn in the backlog
  if (consumer.delivered.stream_seq < ack.seq) return { result: 'duplicate', seq: null };
  const again = await publishJobMessage(js, names, run, generation, `${run.id}:${generation}`);
  // the lost original would stay in the work queue until its max age, unacknowledged, holding the
  // consumer's ack floor back: removed once the copy is stored (a run with a live executor holds a
  // lease and is never re-published, so no worker is acting on it)
  await jsm.streams.deleteMessage(names.streams.jobs, ack.seq, false).catch(() => false);
  return again.duplicate ? { result: 'duplicate', seq: null } : { result: 'published', seq: again.seq };
}
