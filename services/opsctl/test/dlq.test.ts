import { type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { headers } from '@nats-io/nats-core';
import { HEADERS } from '@ops/contracts';
import { cliEnv, opsctl, opsctlJson, useLedgerHarness } from '@ops/test-support';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DlqListJson } from '../src/commands/dlq-list.ts';
import { natsRelay, TIMEOUT, until } from './support.ts';

/**
 * Dead letters written the real way (the ledger dead-letters bad events it
 * consumes) plus one hostile message published straight into OPS_DLQ.
 */
const h = useLedgerHarness();
let env: Record<string, string>;
let jsm: JetStreamManager;

const SECRET = 'hunter2-very-secret-value';
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

async function dlqCount(): Promise<number> {
  return (await jsm.streams.info(h.names.streams.dlq)).state.messages;
}

beforeAll(async () => {
  env = cliEnv(h);
  jsm = await jetstreamManager(h.nc);
});

describe('opsctl dlq list', () => {
  it(
    'an empty or absent dead-letter stream → {"messages":[]} and "no dead letters"',
    async () => {
      expect(await opsctlJson<DlqListJson>(['dlq', 'list'], env)).toEqual({ messages: [] });
      // another prefix: no stream at all
      expect(await opsctlJson<DlqListJson>(['dlq', 'list'], { ...env, NATS_PREFIX: `${h.names.prefix}x` })).toEqual({ messages: [] });
      const r = await opsctl(['dlq', 'list'], env);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('no dead letters\n');
    },
    TIMEOUT,
  );

  it(
    'lists what the ledger dead-lettered and a hostile letter: newest first, sanitized, never the payload',
    async () => {
      const js = jetstream(h.nc);
      // 1. not JSON, with a secret in it   2. well-formed, for a run that does not exist
      await js.publish(h.names.ledgerEventSubject('progress'), `{"password":"${SECRET}", not json`);
      const orphan = {
        v: 1,
        run_id: '0b7e1a52-8f0e-4c1d-9a53-6f1d2f1c0a01',
        workspace_id: h.seed.workspace.id,
        attempt: 1,
        at: new Date().toISOString(),
        kind: 'started',
        seq: 0,
      };
      await js.publish(h.names.ledgerEventSubject('started'), JSON.stringify(orphan));
      await until(async () => (await dlqCount()) === 2);
      // 3. straight into the stream: control characters, a bearer token and a long reason in the headers
      const hdrs = headers();
      hdrs.set(HEADERS.dlqReason, `evil\u0007reason Bearer abcdefghijklmnopqrstuvwxyz0123456789 ${'word '.repeat(60)}`);
      hdrs.set(HEADERS.dlqDetail, `password=${SECRET}`);
      hdrs.set(HEADERS.dlqOriginSubject, 'ops.jobs.assignments.fetch');
      hdrs.set(HEADERS.dlqOriginSeq, 'NaN; DROP TABLE');
      hdrs.set(HEADERS.dlqTruncated, 'true');
      await js.publish(h.names.dlqSubject('assignment-worker'), `\u001b[31m${SECRET}`, { headers: hdrs });
      await until(async () => (await dlqCount()) === 3);

      const r = await opsctl(['dlq', 'list', '--json'], env);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).not.toContain(SECRET);
      expect(r.stdout.trimEnd().split('\n')).toHaveLength(1);
      const doc = JSON.parse(r.stdout) as DlqListJson;
      expect(Object.keys(doc)).toEqual(['messages']);
      expect(doc.messages).toHaveLength(3);
      const seqs = doc.messages.map((m) => m.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
      for (const m of doc.messages) {
        expect(Object.keys(m).slice(0, 4)).toEqual(['seq', 'subject', 'reason', 'received_at']);
        expect(m.received_at).toMatch(ISO_UTC);
        expect(Math.abs(Date.parse(m.received_at) - Date.now())).toBeLessThan(60_000);
      }
      const [hostile, ...ledger] = doc.messages;
      expect(hostile).toMatchObject({
        subject: h.names.dlqSubject('assignment-worker'),
        origin: 'assignment-worker',
        original_subject: 'ops.jobs.assignments.fetch',
        original_seq: null,
        truncated: true,
      });
      expect(hostile!.reason).toMatch(/^evil reason Bearer \[redacted\] (word )+w?o?r?d?…$/);
      expect(hostile!.reason).toHaveLength(100);
      expect(hostile!.detail).toBe('password=[redacted]');
      expect(ledger.map((m) => m.reason).sort()).toEqual(['invalid_json', 'unknown_run']);
      for (const m of ledger) {
        expect(m).toMatchObject({
          subject: h.names.dlqSubject('ledger'),
          origin: 'ledger',
          original_stream: h.names.streams.ledger,
          truncated: false,
        });
        expect(m.original_seq).toEqual(expect.any(Number));
        expect(m.size).toBeGreaterThan(0);
      }

      // --origin and --limit
      const onlyLedger = await opsctlJson<DlqListJson>(['dlq', 'list', '--origin', 'ledger'], env);
      expect(onlyLedger.messages.map((m) => m.seq)).toEqual(ledger.map((m) => m.seq));
      expect((await opsctlJson<DlqListJson>(['dlq', 'list', '--origin', 'housekeeping'], env)).messages).toEqual([]);
      expect((await opsctlJson<DlqListJson>(['dlq', 'list', '--limit', '1'], env)).messages.map((m) => m.seq)).toEqual([hostile!.seq]);

      // the table: the documented look, one row a letter, no payload
      const table = await opsctl(['dlq', 'list'], env);
      expect(table.code).toBe(0);
      expect(table.stdout.split('\n')[0]!.split(/\s+/)).toEqual([
        'SEQ',
        'RECEIVED_AT',
        'ORIGIN',
        'REASON',
        'ORIGINAL_SUBJECT',
        'SIZE',
        'DETAIL',
      ]);
      expect(table.stdout).toMatch(new RegExp(`^${ledger[0]!.seq} +\\S+Z +ledger +${ledger[0]!.reason} `, 'm'));
      expect(table.stdout).toContain('3 dead letters, newest first');
      expect(table.stdout).not.toContain(SECRET);
      expect(table.stdout).not.toContain('\u001b');
    },
    TIMEOUT,
  );

  it(
    'a deleted sequence is skipped; only stream info and message gets are used (no consumer, no account info)',
    async () => {
      const before = await opsctlJson<DlqListJson>(['dlq', 'list'], env);
      await jsm.streams.deleteMessage(h.names.streams.dlq, before.messages[1]!.seq);
      const relay = await natsRelay();
      try {
        const after = await opsctlJson<DlqListJson>(['dlq', 'list'], { ...env, NATS_URL: relay.url });
        expect(after.messages.map((m) => m.seq)).toEqual([before.messages[0]!.seq, before.messages[2]!.seq]);
        // what the opsctl NATS user will be allowed: $JS.API.STREAM.INFO.<dlq> and $JS.API.STREAM.MSG.GET.<dlq>
        const dlq = h.names.streams.dlq;
        const info = relay.seen(`$JS.API.STREAM.INFO.${dlq} `);
        const gets = relay.seen(`$JS.API.STREAM.MSG.GET.${dlq} `);
        expect(info).toBe(1);
        expect(gets).toBeGreaterThanOrEqual(3);
        expect(relay.seen('$JS.API.')).toBe(info + gets);
      } finally {
        relay.cut();
      }
      expect((await jsm.streams.info(h.names.streams.dlq)).state.consumer_count).toBe(0);
    },
    TIMEOUT,
  );

  it(
    '--limit 0, abc or 1001 and an unknown --origin → exit 2, nothing on stdout',
    async () => {
      for (const limit of ['0', 'abc', '1001']) {
        const r = await opsctl(['dlq', 'list', '--limit', limit, '--json'], env);
        expect(r.code).toBe(2);
        expect(r.stdout).toBe('');
        expect(r.stderr.split('\n')[0]).toBe('opsctl: --limit: must be a whole number from 1 to 1000');
      }
      const origin = await opsctl(['dlq', 'list', '--origin', 'mars', '--json'], env);
      expect(origin.code).toBe(2);
      expect(origin.stdout).toBe('');
      expect(origin.stderr.split('\n')[0]).toBe("opsctl: --origin: 'mars' is not valid — one of ledger, assignment-worker, housekeeping");
    },
    TIMEOUT,
  );
});
