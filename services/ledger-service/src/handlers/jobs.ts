import type { JetStreamClient } from '@nats-io/jetstream';
import { headers } from '@nats-io/nats-core';
import { encodeJson, HEADERS, jobFor, type Names, type RunV1 } from '@ops/contracts';

/**
 * The ledger is the only publisher of jobs (issue #18; the NATS permissions
 * say so): a run's job is published from the committed row — its recorded
 * inputs — with Nats-Msg-Id = run id (JetStream drops a copy inside its
 * 15-minute duplicate window) and the job's generation (1: the original).
 * Resolves once JetStream stored it, or says it was a duplicate.
 */
export async function publishRunJob(js: JetStreamClient, names: Names, run: RunV1, generation: number): Promise<'published' | 'duplicate'> {
  const h = headers();
  h.set(HEADERS.jobGeneration, String(generation));
  const ack = await js.publish(names.jobSubject(run.type), encodeJson(jobFor(run)), { msgID: run.id, headers: h });
  return ack.duplicate ? 'duplicate' : 'published';
}
