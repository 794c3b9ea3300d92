import { randomUUID } from 'node:crypto';
import { type JetStreamClient, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { HEADERS, type LedgerEventV1, type RunV1 } from '@ops/contracts';
import { useLedgerHarness } from '@ops/test-support';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * Bad input the schemas accept but PostgreSQL does not: ISO instants of the
 * year 0000 (z.iso.datetime takes any four-digit year; timestamptz has no
 * year 0) — and offsets like -23:59 the database refuses. Found by the
 * bad-input storm (docs/reliability-bad-input.md, "Findings"); fixed by
 * isoDateTime in libs/contracts (1970–9999, normalized to UTC).
 */
const h = useLedgerHarness();
let js: JetStreamClient;
const enc = new TextEncoder();
const dec = new TextDecoder();
const YEAR_ZERO = '0000-06-01T00:00:00Z';

beforeAll(() => {
  js = jetstream(h.nc);
});

async function queuedRun(): Promise<RunV1> {
  return (
    await h.client.ensureRun({
      workspace_id: h.seed.workspace.id,
      tenant_id: h.seed.tenants[0]!.id,
      type: 'assignments.fetch',
      run_id: randomUUID(),
      initiator: { name: 'test' },
    })
  ).run;
}

async function ask(endpoint: 'list_runs' | 'list_active_runs', body: unknown): Promise<{ ok: boolean; error?: { code: string } }> {
  const reply = await h.nc.request(h.names.ledgerApiSubject(endpoint), enc.encode(JSON.stringify(body)), { timeout: 10_000 });
  return JSON.parse(dec.decode(reply.data));
}

describe('instants PostgreSQL refuses are bad input', () => {
  // was a bug: the instant passed zod, the batch UPDATE failed (22008) and the
  // event was redelivered every 2 s forever; now the schema dead-letters it
  it('an event dated in the year 0000 is settled (applied or dead-lettered) within 10 s', async () => {
    const run = await queuedRun();
    const event: LedgerEventV1 = {
      v: 1,
      kind: 'started',
      run_id: run.id,
      workspace_id: run.workspace_id,
      attempt: 1,
      seq: 0,
      at: YEAR_ZERO,
    };
    const ack = await js.publish(h.names.ledgerEventSubject('started'), enc.encode(JSON.stringify(event)));
    const jsm = await jetstreamManager(h.nc);
    const settled = async () => {
      const info = await jsm.consumers.info(h.names.streams.ledger, h.names.consumers.ledgerEvents);
      if (info.ack_floor.stream_seq >= ack.seq) return true;
      const letter = await jsm.streams.getMessage(h.names.streams.dlq, { last_by_subj: h.names.dlqSubject('ledger') }).catch(() => null);
      return letter?.header.get(HEADERS.dlqOriginSeq) === String(ack.seq);
    };
    await expect.poll(settled, { timeout: 10_000, interval: 250 }).toBe(true);
  }, 20_000);

  // and a valid event that shares its batch is not held back with it
  it('a valid event published together with a year-0000 event is still applied (late)', async () => {
    const poisoned = await queuedRun();
    const healthy = await queuedRun();
    const started = (run: RunV1, at: string): LedgerEventV1 => ({
      v: 1,
      kind: 'started',
      run_id: run.id,
      workspace_id: run.workspace_id,
      attempt: 1,
      seq: 0,
      at,
    });
    await Promise.all([
      js.publish(h.names.ledgerEventSubject('started'), enc.encode(JSON.stringify(started(poisoned, YEAR_ZERO)))),
      js.publish(h.names.ledgerEventSubject('started'), enc.encode(JSON.stringify(started(healthy, new Date().toISOString())))),
    ]);
    await expect
      .poll(async () => (await h.client.getRun({ workspace_id: healthy.workspace_id, run_id: healthy.id })).status, { timeout: 15_000 })
      .toBe('running');
  }, 20_000);

  // was `internal` (PostgreSQL refused the instant); now refused by the schema.
  // An offset like -23:59 is a valid instant: normalized to UTC, it is accepted.
  it('list_runs created_after / list_active_runs quiet_since in the year 0000 are bad requests', async () => {
    const ws = h.seed.workspace.id;
    expect((await ask('list_runs', { workspace_id: ws, created_after: YEAR_ZERO })).error?.code).toBe('bad_request');
    expect((await ask('list_runs', { workspace_id: ws, created_before: '2025-01-01T00:00:00-23:59' })).ok).toBe(true);
    expect((await ask('list_active_runs', { workspace_id: ws, quiet_since: YEAR_ZERO })).error?.code).toBe('bad_request');
    const cursor = Buffer.from(JSON.stringify(['1', randomUUID()])).toString('base64url');
    expect((await ask('list_runs', { workspace_id: ws, cursor })).error?.code).toBe('bad_request');
  });

  it('all the same, each of those requests gets an error reply (no timeout, no success)', async () => {
    const ws = h.seed.workspace.id;
    const cursor = Buffer.from(JSON.stringify(['1', randomUUID()])).toString('base64url');
    for (const body of [
      { workspace_id: ws, created_after: YEAR_ZERO },
      { workspace_id: ws, created_after: '1969-12-31T23:59:59Z' },
      { workspace_id: ws, cursor },
    ]) {
      const reply = await ask('list_runs', body);
      expect(reply.ok, JSON.stringify(body)).toBe(false);
      expect(reply.error?.code).toBe('bad_request');
    }
    const reply = await ask('list_active_runs', { workspace_id: ws, quiet_since: YEAR_ZERO });
    expect(reply.ok).toBe(false);
  });
});
