import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createJobSeqRecorder, type StoredJobSeq } from './job-seqs.ts';

const silent = { warn: () => undefined } as unknown as Parameters<typeof createJobSeqRecorder>[0]['logger'];
const job = (n: number): StoredJobSeq => ({ id: `run-${n}`, seq: n });

describe('job sequence recorder', () => {
  it('writes the sequences of many batches in one statement after the interval, at once at the maximum', async () => {
    const writes: StoredJobSeq[][] = [];
    const recorder = createJobSeqRecorder({ write: async (jobs) => void writes.push([...jobs]), logger: silent, intervalMs: 50, max: 4 });
    recorder.add([job(1)]);
    recorder.add([job(2), job(3)]);
    expect(writes).toEqual([]);
    await sleep(120);
    expect(writes).toEqual([[job(1), job(2), job(3)]]);
    recorder.add([job(4), job(5), job(6), job(7)]);
    await recorder.flush();
    expect(writes).toEqual([
      [job(1), job(2), job(3)],
      [job(4), job(5), job(6), job(7)],
    ]);
  });

  it('flush() writes what is pending and waits for it; a failed write is logged, not thrown, and later ones go on', async () => {
    const writes: StoredJobSeq[][] = [];
    let fail = true;
    const warned: unknown[] = [];
    const recorder = createJobSeqRecorder({
      write: async (jobs) => {
        await sleep(20);
        if (fail) throw new Error('database away');
        writes.push([...jobs]);
      },
      logger: { warn: (o: unknown) => void warned.push(o) } as unknown as typeof silent,
      intervalMs: 10_000,
      max: 100,
    });
    recorder.add([job(1)]);
    await recorder.flush();
    expect(warned).toHaveLength(1);
    fail = false;
    recorder.add([job(2)]);
    await recorder.flush();
    expect(writes).toEqual([[job(2)]]);
    await recorder.flush();
    expect(writes).toHaveLength(1);
  });
});
