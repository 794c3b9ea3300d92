import { JetStreamApiError, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import { TimeoutError } from '@nats-io/nats-core';
import { describe, expect, it } from 'vitest';
import { driftedKeys, upsertStream } from './topology.ts';

/**
 * The settle rules of upsertStream, one answer at a time (the real race on a
 * 3-node cluster is test/cluster/topology-race.test.ts): another replica's
 * create is an assignment first — our add is refused because the name is
 * taken, and the stream is "not found" for a moment (a ledger replica died at
 * start so, issue #19 two-down run at ac5d85f).
 */
const notFound = () => new JetStreamApiError({ err_code: 10059, code: 404, description: 'stream not found' });
const taken = () =>
  new JetStreamApiError({ err_code: 10058, code: 400, description: 'stream name already in use with a different configuration' });
const noPeers = () => new JetStreamApiError({ err_code: 10005, code: 500, description: 'no suitable peers for placement' });
const denied = () =>
  new JetStreamApiError({ err_code: 10052, code: 500, description: 'stream configuration update can not change retention' });

const wanted = { name: 'OPS_JOBS', subjects: ['ops.jobs.>'], max_age: 7 } as unknown as StreamConfig;

/** a manager answering info, add and update from scripts; a script's last answer repeats */
function scripted(script: { info: Array<Error | object>; add?: Array<Error | object>; update?: Array<Error | object> }) {
  const calls: string[] = [];
  const answer = async (kind: 'info' | 'add' | 'update') => {
    calls.push(kind);
    const list = script[kind] ?? [{}];
    const next = list.length > 1 ? list.shift()! : list[0]!;
    if (next instanceof Error) throw next;
    return next;
  };
  const jsm = { streams: { info: () => answer('info'), add: () => answer('add'), update: () => answer('update') } };
  return { jsm: jsm as unknown as JetStreamManager, calls };
}

describe('upsertStream while another replica creates the stream', () => {
  it('a name taken by a create in flight: reads again until it is there, and leaves an equal config alone', async () => {
    const { jsm, calls } = scripted({ info: [notFound(), notFound(), { config: { ...wanted, storage: 'file' } }], add: [taken()] });
    await upsertStream(jsm, wanted, 5_000);
    expect(calls).toEqual(['info', 'add', 'info', 'add', 'info']);
  });

  it('placement not possible yet, then a request that timed out: both tried again', async () => {
    const { jsm, calls } = scripted({ info: [notFound()], add: [noPeers(), new TimeoutError(), {}] });
    await upsertStream(jsm, wanted, 5_000);
    expect(calls).toEqual(['info', 'add', 'info', 'add', 'info', 'add']);
  });

  it('updates only what drifted', async () => {
    const { jsm, calls } = scripted({ info: [{ config: { ...wanted, max_age: 3 } }] });
    await upsertStream(jsm, wanted, 5_000);
    expect(calls).toEqual(['info', 'update']);
  });

  it('an error that will not pass is thrown at once', async () => {
    const { jsm, calls } = scripted({ info: [{ config: { ...wanted, max_age: 3 } }], update: [denied()] });
    await expect(upsertStream(jsm, wanted, 5_000)).rejects.toThrow(/can not change retention/);
    expect(calls).toEqual(['info', 'update']);
  });

  it('gives up after its bound with the last error it got', async () => {
    const { jsm } = scripted({ info: [notFound()], add: [noPeers()] });
    await expect(upsertStream(jsm, wanted, 600)).rejects.toThrow(/no suitable peers/);
  });
});

describe('driftedKeys', () => {
  it('names the settings whose server value differs, arrays and nested values by content', () => {
    const current = { subjects: ['a.>', 'b.>'], max_age: 5, placement: { tags: ['x'] }, max_msgs: -1 };
    expect(driftedKeys(current, { subjects: ['a.>', 'b.>'], max_age: 5, placement: { tags: ['x'] } })).toEqual([]);
    expect(driftedKeys(current, { subjects: ['a.>'], max_age: 6, placement: { tags: ['y'] } })).toEqual([
      'subjects',
      'max_age',
      'placement',
    ]);
    expect(driftedKeys(current, { allow_direct: false })).toEqual(['allow_direct']);
  });
});
