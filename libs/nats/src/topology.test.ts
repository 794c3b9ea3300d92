import { JetStreamApiError, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { upsertStream } from './topology.ts';

/**
 * Two ledger replicas starting at once on a cluster: one creates the stream
 * (an assignment first), the other's add is refused because the name is
 * taken, and for a moment the stream is "not found" to its update. A ledger
 * replica died at start so (issue #19, two-down run at ac5d85f).
 */
const notFound = () => new JetStreamApiError({ err_code: 10059, code: 404, description: 'stream not found' });
const taken = () =>
  new JetStreamApiError({ err_code: 10058, code: 400, description: 'stream name already in use with a different configuration' });

function racingManager(notFoundUpdates: number) {
  const calls: string[] = [];
  let updates = 0;
  const jsm = {
    streams: {
      info: async () => {
        calls.push('info');
        throw notFound();
      },
      add: async () => {
        calls.push('add');
        throw taken();
      },
      update: async () => {
        calls.push('update');
        updates += 1;
        if (updates <= notFoundUpdates) throw notFound();
        return {};
      },
    },
  } as unknown as JetStreamManager;
  return { jsm, calls };
}

describe('upsertStream while another replica creates the stream', () => {
  it('tries again while the stream is not there yet, then updates it', async () => {
    const { jsm, calls } = racingManager(2);
    await upsertStream(jsm, { name: 'OPS_JOBS', subjects: ['ops.jobs.>'] } as StreamConfig, 5_000);
    expect(calls.filter((c) => c === 'update')).toHaveLength(3);
  });

  it('gives up after its bound with the error it got', async () => {
    const { jsm } = racingManager(1_000);
    await expect(upsertStream(jsm, { name: 'OPS_JOBS', subjects: ['ops.jobs.>'] } as StreamConfig, 600)).rejects.toThrow(
      /stream not found/,
    );
  });
});
