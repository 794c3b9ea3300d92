import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type JetStreamManager, jetstreamManager } from '@nats-io/jetstream';
import { HEADERS } from '@ops/contracts';
import { type HousekeepingStack, sleep } from '@ops/test-support';
import fc from 'fast-check';
import { expect } from 'vitest';
import { BASE_SEED, type Hostile, PAYLOAD_MARKER, PLANTED_SECRET_WORD, SCALE } from './generators.ts';

/** A dead letter as the storm reads it from its headers. */
export interface Letter {
  readonly reason: string;
  readonly detail: string;
  readonly subject: string;
  readonly truncated: boolean;
}

export function checkLetter(letter: Letter, where: string): void {
  expect(letter.reason, where).toMatch(/^[a-z_]+$/);
  expect(letter.detail.length, where).toBeLessThanOrEqual(500);
  expect(letter.detail, where).not.toContain(PLANTED_SECRET_WORD);
  expect(letter.detail, where).not.toContain(PAYLOAD_MARKER);
}

/**
 * What the storm shares across its tests, for one stack: the dead letters
 * it collects, the figures it counts, and the helpers that send, wait and
 * check. Its functions close over that state, so the test destructures them.
 */
export function createStormKit(h: HousekeepingStack) {
  const started = Date.now();
  const dec = new TextDecoder();
  /** every dead letter of this prefix, by `<origin stream>:<origin seq>` (a core subscription to ops.dlq.>) */
  const letters = new Map<string, Letter>();
  let jsm: JetStreamManager;

  /** figures for docs/reliability-bad-input.md (printed at the end) */
  const figures = {
    sent: {} as Record<string, number>,
    outcomes: {} as Record<string, Record<string, number>>,
    dlqReasons: {} as Record<string, number>,
    ignoreReasons: {} as Record<string, number>,
    durationsMs: {} as Record<string, number>,
    knownIssues: {} as Record<string, number>,
  };
  const bump = (rec: Record<string, number>, key: string, by = 1) => {
    rec[key] = (rec[key] ?? 0) + by;
  };
  /** the outcome counts of one key, created on first use */
  const outcomesOf = (key: string): Record<string, number> => {
    const rec = figures.outcomes[key] ?? {};
    figures.outcomes[key] = rec;
    return rec;
  };
  const tally = (target: string, outcome: string) => bump(outcomesOf(target), outcome);

  /** Runs a fast-check property over chunks; on failure the seed (not the huge counterexample) is reported. */
  async function storm<T>(
    name: string,
    seedOffset: number,
    arb: fc.Arbitrary<T>,
    total: number,
    chunk: number,
    check: (items: T[]) => Promise<void>,
  ): Promise<void> {
    const seed = BASE_SEED + seedOffset;
    const t0 = Date.now();
    const details = await fc.check(
      fc.asyncProperty(fc.array(arb, { minLength: chunk, maxLength: chunk }), async (items) => {
        await check(items);
      }),
      { seed, numRuns: Math.ceil(total / chunk), endOnFailure: true },
    );
    figures.durationsMs[name] = Date.now() - t0;
    if (details.failed) {
      const err = details.errorInstance as Error | undefined;
      throw new Error(
        `bad-input storm "${name}" failed (BAD_INPUT_SEED=${BASE_SEED}, property seed ${details.seed}, run ${details.numRuns}): ${err?.message ?? 'unknown'}`,
        { cause: err },
      );
    }
  }

  async function waitConsumerIdle(stream: string, consumer: string, lastSeq: number, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const info = await jsm.consumers.info(stream, consumer);
      if (
        info.num_pending === 0 &&
        info.num_ack_pending === 0 &&
        info.delivered.stream_seq >= lastSeq &&
        info.ack_floor.stream_seq >= lastSeq
      )
        return;
      if (Date.now() > deadline)
        throw new Error(
          `${consumer} still busy: ${JSON.stringify({ pending: info.num_pending, ackPending: info.num_ack_pending, delivered: info.delivered, ackFloor: info.ack_floor, lastSeq })}`,
        );
      await sleep(25);
    }
  }

  async function waitLetters(keys: string[], timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (keys.some((k) => !letters.has(k)) && Date.now() < deadline) await sleep(20);
  }

  /** One request; the reply must be a typed error (or, for a read-only list of an unknown workspace, an empty page). */
  async function request(target: string, subject: string, m: Hostile, replies: string[]): Promise<void> {
    let reply: Awaited<ReturnType<typeof h.nc.request>>;
    try {
      reply = await h.nc.request(subject, m.data, { timeout: 15_000 });
    } catch (err) {
      throw new Error(`${target} ${m.label}: no reply (${(err as Error).message})`);
    }
    const body = dec.decode(reply.data);
    replies.push(body);
    const parsed = JSON.parse(body) as { ok: boolean; error?: { code: string; message: string; issues: string[] }; runs?: unknown[] };
    let outcome: string;
    if (parsed.ok === false) {
      outcome = parsed.error!.code;
      expect(reply.headers?.get('Nats-Service-Error-Code'), `${target} ${m.label}: error header`).toMatch(/^\d{3}$/);
    } else {
      outcome = Array.isArray(parsed.runs) && parsed.runs.length === 0 ? 'empty_ok' : 'ok';
    }
    tally(target, outcome);
    bump(outcomesOf(`${target} by class`), `${m.label} → ${outcome}`);
    expect(m.expect, `${target} ${m.label}: got ${outcome} (${body.slice(0, 300)})`).toContain(outcome);
    expect(body, `${target} ${m.label}: secret echoed`).not.toContain(PLANTED_SECRET_WORD);
    expect(body, `${target} ${m.label}: payload echoed`).not.toContain(PAYLOAD_MARKER);
    expect(body.length, `${target} ${m.label}: reply size`).toBeLessThan(12_000);
  }

  /** Origin sequences of every dead letter on one DLQ subject, read from the OPS_DLQ stream itself (NATS 2.9: no server-side multi-filter). */
  async function dlqOriginSeqs(subject: string): Promise<number[]> {
    const info = await jsm.streams.info(h.names.streams.dlq);
    const total = info.state.messages;
    const out: number[] = [];
    if (total === 0) return out;
    const consumer = await h.js.consumers.get(h.names.streams.dlq);
    const messages = await consumer.consume();
    let seen = 0;
    for await (const m of messages) {
      seen += 1;
      if (m.subject === subject) out.push(Number(m.headers?.get(HEADERS.dlqOriginSeq)));
      if (seen >= total) break;
    }
    await messages.close();
    return out;
  }

  /** In beforeAll, once the services run: the JetStream manager, and the subscription that collects every dead letter. */
  async function start(): Promise<JetStreamManager> {
    jsm = await jetstreamManager(h.nc);
    const sub = h.nc.subscribe(h.names.dlqWildcard);
    void (async () => {
      for await (const m of sub) {
        const hd = m.headers;
        const key = `${hd?.get(HEADERS.dlqOriginStream)}:${hd?.get(HEADERS.dlqOriginSeq)}`;
        letters.set(key, {
          reason: hd?.get(HEADERS.dlqReason) ?? '',
          detail: hd?.get(HEADERS.dlqDetail) ?? '',
          subject: m.subject,
          truncated: hd?.get(HEADERS.dlqTruncated) === 'true',
        });
      }
    })();
    return jsm;
  }

  /** Every operation_runs row: the storm must leave it unchanged. */
  async function snapshotRuns(): Promise<string> {
    const rows = await h.sql<Record<string, unknown>>('SELECT * FROM operation_runs ORDER BY id');
    return JSON.stringify(rows);
  }

  /** In afterAll: the figures, printed and written to BAD_INPUT_FIGURES (default: a temp file). */
  async function writeFigures(): Promise<void> {
    const total = Object.values(figures.sent).reduce((a, b) => a + b, 0);
    const report = JSON.stringify({ seed: BASE_SEED, scale: SCALE, total, ...figures, runtimeMs: Date.now() - started }, null, 1);
    console.log(`=== bad-input figures ===\n${report}`);
    await writeFile(process.env['BAD_INPUT_FIGURES'] ?? join(tmpdir(), 'bad-input-figures.json'), report);
  }

  return {
    started,
    letters,
    figures,
    bump,
    outcomesOf,
    tally,
    start,
    snapshotRuns,
    storm,
    waitConsumerIdle,
    waitLetters,
    request,
    dlqOriginSeqs,
    writeFigures,
  };
}
