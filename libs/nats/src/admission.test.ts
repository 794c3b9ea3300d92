import { describe, expect, it } from 'vitest';
import { createAdmission } from './admission.ts';

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

describe('createAdmission', () => {
  it('runs up to maxInFlight, queues up to maxQueued, refuses the rest, and drains the queue in order', async () => {
    const admission = createAdmission({ maxInFlight: 2, maxQueued: 1 });
    const gates = [deferred(), deferred(), deferred()];
    const started: number[] = [];
    const task = (i: number) => async () => {
      started.push(i);
      await gates[i]!.promise;
    };
    expect(admission.offer(task(0))).toBe(true);
    expect(admission.offer(task(1))).toBe(true);
    expect(admission.offer(task(2))).toBe(true); // queued
    expect(admission.offer(async () => undefined)).toBe(false); // refused
    expect(started).toEqual([0, 1]);
    expect([admission.inFlight, admission.queued]).toEqual([2, 1]);
    gates[0]!.resolve();
    await expect.poll(() => started).toEqual([0, 1, 2]);
    expect([admission.inFlight, admission.queued]).toEqual([2, 0]);
    gates[1]!.resolve();
    gates[2]!.resolve();
    await expect.poll(() => admission.inFlight).toBe(0);
  });

  it('a failing task frees its slot', async () => {
    const admission = createAdmission({ maxInFlight: 1, maxQueued: 0 });
    expect(admission.offer(() => Promise.reject(new Error('boom')))).toBe(true);
    await expect.poll(() => admission.inFlight).toBe(0);
    expect(admission.offer(async () => undefined)).toBe(true);
  });
});
