import { DLQ_ORIGINS } from '@ops/contracts';
import { type DlqListJson, listDeadLetters } from '@ops/inspect';
import { z } from 'zod';
import { choiceArg, intArg } from '../args.ts';
import { defineCommand } from '../cli.ts';
import { plural, table } from '../format.ts';

/** The documented `--json` shape (docs/cli.md), read by @ops/inspect (shared with the console). */
export type { DeadLetterJson, DlqListJson } from '@ops/inspect';

export const dlqList = defineCommand({
  path: ['dlq', 'list'],
  summary: 'dead letters in OPS_DLQ, newest first (reason and origin, never the payload)',
  usage: `opsctl dlq list [--limit <1-1000>] [--origin <${DLQ_ORIGINS.join('|')}>] [--json]`,
  help: [
    'Newest first (highest stream sequence first); --limit defaults to 50.',
    `--origin keeps the dead letters one service wrote (subject ops.dlq.<origin>): ${DLQ_ORIGINS.join(', ')}.`,
    'Payloads are never printed, only their size; header texts are sanitized and shortened.',
    'No dead-letter stream yet (nothing started on this NATS_PREFIX) is an empty list.',
  ].join('\n'),
  options: { limit: { type: 'string' }, origin: { type: 'string' } },
  schema: z.object({ limit: intArg(1, 1000).default(50), origin: choiceArg(DLQ_ORIGINS).optional() }),
  async run(ctx, args) {
    const { nc, names, failure } = await ctx.nats();
    try {
      return output(await listDeadLetters(nc, names, { limit: args.limit, origin: args.origin }));
    } catch (err) {
      throw failure(err);
    }
  },
});

function output(json: DlqListJson) {
  if (json.messages.length === 0) return { json, text: 'no dead letters' };
  // the detail is the last column (unpadded) and shortened further so a row stays readable
  const rows = json.messages.map((m) => [
    String(m.seq),
    m.received_at,
    m.origin,
    m.reason,
    m.original_subject ?? '-',
    `${m.size}B${m.truncated ? ' (cut)' : ''}`,
    shorten(m.detail ?? '-', 80),
  ]);
  const text = table(['SEQ', 'RECEIVED_AT', 'ORIGIN', 'REASON', 'ORIGINAL_SUBJECT', 'SIZE', 'DETAIL'], rows);
  return { json, text: `${text}\n\n${plural(json.messages.length, 'dead letter')}, newest first` };
}

function shorten(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
