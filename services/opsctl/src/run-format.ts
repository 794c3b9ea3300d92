import type { RunV1, TimelineEntryV1 } from '@ops/contracts';
import { actionsOf, TIMELINE_MAX_ENTRIES } from '@ops/inspect';
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

/** `runs show --json`: the run object plus its timeline and its actions (docs/cli.md), read by @ops/inspect (shared with the console). */
export type { RunActionJson, RunDetail as RunShowJson } from '@ops/inspect';

/** The DETAIL column of a timeline entry: counters, outcome, failure codes, who, why; a refused event says so. */
export function entryDetail(entry: TimelineEntryV1): string {
  const d = entry.detail;
  const count = (c: unknown) => {
    const v = (c ?? {}) as Record<string, number>;
    return `${v['processed'] ?? 0}/${v['total'] ?? 0} (failed ${v['failed'] ?? 0})`;
  };
  const codes = Array.isArray(d['failures']) ? (d['failures'] as Array<{ code?: unknown }>).map((f) => String(f.code)) : [];
  const owner = typeof d['owner'] === 'string' ? `by ${d['owner']}` : '';
  let text: string;
  switch (entry.kind) {
    case 'started':
      text = owner;
      break;
    case 'progress':
      text = count(d['counts']);
      break;
    case 'completed':
    case 'heal':
      text = [String(d['outcome']), count(d['counts']), codes.length > 0 ? `[${codes.join(', ')}]` : '', owner].filter(Boolean).join(' ');
      break;
    case 'duplicate':
      text = `duplicate job skipped: ${String(d['reason'])}`;
      break;
    case 'action':
      text = `${String(d['action'])} by ${String(d['actor'])}: ${String(d['reason'])}`;
      break;
  }
  if (typeof d['ignored'] === 'string') text = `${text} (ignored: ${d['ignored']})`.trim();
  return text || '-';
}

/** One field a line, then the failure summary, the timeline and the audit record (the run's operator actions). */
export function runDetails(run: RunV1, timeline?: { readonly entries: readonly TimelineEntryV1[]; readonly truncated: boolean }): string {
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
  if (timeline) {
    lines.push('', 'timeline:');
    if (timeline.entries.length === 0) lines.push('  (no events yet)');
    else {
      lines.push(
        table(
          ['AT', 'ATTEMPT', 'KIND', 'DETAIL'],
          timeline.entries.map((e) => [e.at, e.attempt === null ? '-' : String(e.attempt), e.kind, entryDetail(e)]),
          '  ',
        ),
      );
    }
    if (timeline.truncated) lines.push(`  (the first ${TIMELINE_MAX_ENTRIES} entries; --json has the same)`);
    const actions = actionsOf(timeline.entries);
    lines.push('', 'audit:');
    if (actions.length === 0) lines.push('  (no operator actions)');
    else
      lines.push(
        table(
          ['AT', 'ACTION', 'ACTOR', 'REASON'],
          actions.map((a) => [a.at, a.action, a.actor, a.reason]),
          '  ',
        ),
      );
  }
  return lines.join('\n');
}
