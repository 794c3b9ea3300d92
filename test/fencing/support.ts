import type { RunV1 } from '@ops/contracts';
import { jobFor } from '@ops/contracts';
import type { FakeGraph } from '@ops/fake-graph';
import type { WorkerStack } from '@ops/test-support';

/**
 * A second job message of a run: the same body under another Nats-Msg-Id, as a
 * re-publish after the duplicate window (or any copy) arrives. Resolves with
 * its stream sequence.
 */
export async function publishJobCopy(h: WorkerStack, run: RunV1, tag: string): Promise<number> {
  const job = jobFor(run);
  const ack = await h.js.publish(h.names.jobSubject(run.type), JSON.stringify(job), { msgID: `${run.id}.copy.${tag}` });
  if (ack.duplicate) throw new Error('the copy was dropped as a duplicate');
  return ack.seq;
}

/** The highest number of overlapping Graph calls on any one tenant/policy: 1 means no two executions overlapped. */
export function maxConcurrentCalls(graph: FakeGraph): number {
  return Math.max(0, ...Object.values(graph.probe().by_key).map((k) => k.max_concurrent));
}

/** The fencing tests' timings: a stale lease after 3 s, heartbeats every 300 ms (the worker harness's defaults). */
export const STALE_MS = 3_000;
