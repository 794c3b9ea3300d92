import type { RunV1 } from '@ops/contracts';
import { table } from './format.ts';

/** Human forms of the run object (the `--json` forms are the object itself). */

/** `processed/total (failed N)`; `-` before the first progress event. */
export function counters(run: RunV1): string {
  const c = run.summary_counts;
  if (c['total'] === undefined && c['processed'] === undefined) return '-';
  return `${c['processed'] ?? 0}/${c['total'] ?? 0} (failed ${c['failed'] ?? 0})`;
}

export function runsTable(runs: readonly RunV1[]): string {
  return table(
    ['ID', 'TYPE', 'TENANT', 'STATUS', 'OUTCOME', 'COUNTERS', 'ATTEMPT', 'DEDUPE_HITS', 'CREATED_AT'],
    runs.map((r) => [
      r.id,
      r.type,
      r.tenant_id ?? '-',
      r.status,
      r.outcome,
      counters(r),
      String(r.attempt),
      String(r.dedupe_hits),
      r.created_at,
    ]),
  );
}

/** One field a line, then the failure summary. */
export function runDetails(run: RunV1): string {
  const inputs = run.context['inputs'];
  const rows: Array<[string, string]> = [
    ['id', run.id],
    ['type', run.type],
    ['workspace', run.workspace_id],
    ['tenant', run.tenant_id ?? '-'],
    ['status', run.status],
    ['outcome', run.outcome],
    ['counters', counters(run)],
    ['attempt', String(run.attempt)],
    ['dedupe_hits', String(run.dedupe_hits)],
    ['initiator', run.initiator_name],
    ['identity', run.run_identity_hash],
    ['inputs', inputs === undefined ? '-' : JSON.stringify(inputs)],
    ['created_at', run.created_at],
    ['started_at', run.started_at ?? '-'],
    ['completed_at', run.completed_at ?? '-'],
    ['updated_at', run.updated_at],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`);
  if (run.failure_summary.length > 0) {
    lines.push(
      '',
      'failures:',
      table(
        ['CODE', 'COUNT', 'MESSAGE'],
        run.failure_summary.map((f) => [f.code, String(f.count), f.message]),
        '  ',
      ),
    );
  }
  return lines.join('\n');
}
