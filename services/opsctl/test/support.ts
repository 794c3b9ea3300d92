import { createServer, type Socket, connect as tcpConnect } from 'node:net';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Names } from '@ops/contracts';
import { type LedgerHarness, sleep, testEnv } from '@ops/test-support';

/** What only opsctl's tests share; running the CLI itself (opsctl, cliEnv, opsctlJson) is in @ops/test-support. */
export const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
export const TIMEOUT = 30_000;

export async function policiesOf(h: LedgerHarness, tenantId: string): Promise<string[]> {
  const rows = await h.service.orm.em
    .fork()
    .execute<Array<{ id: string }>>('SELECT id FROM policies WHERE tenant_id = ? ORDER BY id', [tenantId]);
  return rows.map((r) => r.id);
}

/**
 * Publishes a worker's ledger events for a run (as the assignment-worker
 * would): started, then progress and/or completed when given.
 */
export async function publishEvents(
  nc: NatsConnection,
  names: Names,
  run: { id: string; workspace_id: string },
  events: { progress?: { total: number; processed: number; failed: number }; completed?: boolean },
): Promise<void> {
  const js = jetstream(nc);
  const base = { v: 1, run_id: run.id, workspace_id: run.workspace_id, attempt: 1, at: new Date().toISOString() };
  const publish = (kind: 'started' | 'progress' | 'completed', seq: number, body: object) =>
    js.publish(names.ledgerEventSubject(kind), JSON.stringify({ ...base, kind, seq, ...body }), { msgID: `${run.id}.1.${seq}` });
  await publish('started', 0, {});
  if (events.progress) await publish('progress', 1, { counts: events.progress });
  if (events.completed) {
    await publish('completed', 2, { outcome: 'succeeded', counts: { total: 2, processed: 2, failed: 0 }, failures: [] });
  }
}

/** Polls until the check holds (hooks cannot use expect.poll). */
export async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** A TCP relay to the test NATS server on 127.0.0.1 that a test can cut (NATS "going away"). */
export async function natsRelay(): Promise<{ url: string; cut(): void; seen(text: string): number }> {
  const target = new URL(testEnv.NATS_URL[0]!);
  const sockets = new Set<Socket>();
  // what clients sent, so a test can wait for a connected, working client instead of sleeping
  let sent = '';
  const server = createServer((client) => {
    const upstream = tcpConnect(Number(target.port || 4222), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk: Buffer) => {
      sent = (sent + chunk.toString('latin1')).slice(-100_000);
    });
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `nats://127.0.0.1:${port}`,
    cut() {
      server.close();
      for (const s of sockets) s.destroy();
    },
    seen: (text) => sent.split(text).length - 1,
  };
}
