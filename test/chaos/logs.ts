import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import type { ChaosStack } from './stack.ts';

// Evidence of a failed or slow run: the services' output on disk, and the runs that never completed.

/** CHAOS_LOG_DIR=<dir>: every service process's output is written there (evidence for a failed or slow run). */
export function dumpLogs(stack: ChaosStack): void {
  const dir = process.env['CHAOS_LOG_DIR'];
  if (!dir || !existsSync(dir)) return;
  for (const [i, p] of stack.processes.entries()) writeFileSync(join(dir, `${stack.scenario}-${i}-${p.child.pid}.log`), p.output());
}

/** Evidence for runs that never completed: their rows, their jobs' delivery state, what the services logged about them. */
export async function explainStuck(stack: ChaosStack): Promise<void> {
  const stuck = await stack.sql<{ id: string; status: string; attempt: number; event_seq: number; created_at: Date; updated_at: Date }>(
    `SELECT id, status, attempt, event_seq, created_at, updated_at FROM operation_runs WHERE type = 'assignments.fetch' AND status <> 'completed' LIMIT 10`,
  );
  const jsm = await jetstreamManager(stack.nc, { checkAPI: false });
  const consumer = await jsm.consumers.info(stack.names.streams.jobs, stack.names.consumers.assignmentWorker);
  const jobs = await jsm.streams.info(stack.names.streams.jobs);
  const lines = [
    `worker consumer: max_deliver ${consumer.config.max_deliver}, delivered stream ${consumer.delivered.stream_seq}, ack floor ${consumer.ack_floor.stream_seq}, pending ${consumer.num_pending}, ack pending ${consumer.num_ack_pending}, redelivered ${consumer.num_redelivered}; OPS_JOBS ${jobs.state.messages} msg(s) ${jobs.state.first_seq}..${jobs.state.last_seq}`,
  ];
  for (const r of stuck) {
    lines.push(`stuck run ${r.id}: ${r.status}, attempt ${r.attempt}, seq ${r.event_seq}, created ${new Date(r.created_at).toISOString()}`);
    for (const p of stack.processes) {
      for (const l of p.output().split('\n')) if (l.includes(r.id)) lines.push(`  ${l.slice(0, 400)}`);
    }
  }
  process.stderr.write(`--- chaos ${stack.scenario}: runs not completed ---\n${lines.join('\n')}\n`);
}
