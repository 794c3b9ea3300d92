import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Names } from '@ops/contracts';
import { ensureTopology } from '@ops/nats';
import { cleanupNats, connectTestNats, uniqueNames } from '@ops/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attemptEvents, isDuplicateEventError } from '../src/events.ts';

/**
 * Attempts are allocated by the run's lease, so an event a writer publishes
 * for the first time can never be a duplicate — unless another writer used
 * the same attempt. JetStream says so (`duplicate: true`), and the writer
 * must hear it: the publish throws instead of being silently dropped.
 */
let nc: NatsConnection;
let names: Names;
beforeAll(async () => {
  nc = await connectTestNats();
  names = uniqueNames();
  await ensureTopology(nc, names, { replicas: 1, locksTtlMs: 60_000 });
});
afterAll(async () => {
  if (nc) await cleanupNats(nc, names);
});

const run = { runId: '0b7e1a52-8f0e-4c1d-9a53-6f1d2f1c0a01', workspaceId: '0b7e1a52-8f0e-4c1d-9a53-6f1d2f1c0a02', attempt: 3 };

describe('attemptEvents', () => {
  it('a second writer of the same attempt gets a DuplicateEventError for an event the first one already stored', async () => {
    const js = jetstream(nc);
    await attemptEvents(js, names, { ...run, owner: 'first' }).started();
    const error = await attemptEvents(js, names, { ...run, owner: 'second' })
      .started()
      .catch((err: unknown) => err);
    expect(isDuplicateEventError(error)).toBe(true);
    expect((error as Error).message).toContain(`${run.runId}.3.0`);
  });

  it('checks the writer before every event: a fenced writer publishes nothing', async () => {
    const js = jetstream(nc);
    let held = true;
    const events = attemptEvents(
      js,
      names,
      { ...run, attempt: 4, owner: 'w' },
      () => new Date(),
      () => {
        if (!held) throw new Error('lease lost');
      },
    );
    await events.started();
    held = false;
    await expect(events.progress({ total: 1, processed: 1, failed: 0 })).rejects.toThrow('lease lost');
  });
});
