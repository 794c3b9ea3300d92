import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Names } from '@ops/contracts';
import { ensureLocksBucket } from '@ops/nats';
import { cleanupNats, connectTestNats, opsctl, opsctlJson, testEnv, uniqueNames } from '@ops/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocksListJson } from '../src/commands/locks-list.ts';
import { TIMEOUT } from './support.ts';

/** locks list reads only the KV bucket: no ledger needed, a prefix of its own and the bucket the services create. */
let nc: NatsConnection;
let names: Names;
let kv: KV;
let env: Record<string, string>;

beforeAll(async () => {
  nc = await connectTestNats();
  names = uniqueNames();
  env = { NATS_URL: testEnv.NATS_URL.join(','), NATS_PREFIX: names.prefix };
});

afterAll(async () => {
  if (nc) await cleanupNats(nc, names);
});

const HASH_A = 'a'.repeat(64);
const HASH_B = 'b'.repeat(64);
const RUN_A = '0b7e1a52-8f0e-4c1d-9a53-6f1d2f1c0a01';
const RUN_B = '0b7e1a52-8f0e-4c1d-9a53-6f1d2f1c0a02';

describe('opsctl locks list', () => {
  it(
    'no bucket yet → an empty list',
    async () => {
      expect(await opsctlJson<LocksListJson>(['locks', 'list'], env)).toEqual({ locks: [] });
    },
    TIMEOUT,
  );

  it(
    'an empty bucket → {"locks":[]} and "no locks"',
    async () => {
      kv = await ensureLocksBucket(nc, names);
      expect(await opsctlJson<LocksListJson>(['locks', 'list'], env)).toEqual({ locks: [] });
      const r = await opsctl(['locks', 'list'], env);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('no locks\n');
    },
    TIMEOUT,
  );

  it(
    'two leases → key, run_id, state, attempt, owner, age_seconds, ordered by key',
    async () => {
      const now = new Date().toISOString();
      await kv.put(
        `assignments.restore.${HASH_B}`,
        JSON.stringify({
          kind: 'run',
          run_id: RUN_B,
          owner: 'worker-2',
          attempt: 1,
          state: 'completed',
          heartbeat_at: now,
          completed_at: now,
          stream_seq: 7,
        }),
      );
      await kv.put(
        `assignments.fetch.${HASH_A}`,
        JSON.stringify({ kind: 'run', run_id: RUN_A, owner: 'worker-1', attempt: 2, state: 'running', heartbeat_at: now, stream_seq: 3 }),
      );
      const doc = await opsctlJson<LocksListJson>(['locks', 'list'], env);
      expect(Object.keys(doc)).toEqual(['locks']);
      expect(doc.locks).toHaveLength(2);
      for (const lock of doc.locks) {
        expect(Object.keys(lock)).toEqual(['key', 'run_id', 'state', 'attempt', 'owner', 'age_seconds']);
        expect(Number.isInteger(lock.age_seconds)).toBe(true);
        expect(lock.age_seconds).toBeGreaterThanOrEqual(0);
        expect(lock.age_seconds).toBeLessThan(30);
      }
      expect(doc.locks.map(({ age_seconds: _, ...rest }) => rest)).toEqual([
        { key: `assignments.fetch.${HASH_A}`, run_id: RUN_A, state: 'running', attempt: 2, owner: 'worker-1' },
        { key: `assignments.restore.${HASH_B}`, run_id: RUN_B, state: 'completed', attempt: 1, owner: 'worker-2' },
      ]);

      const r = await opsctl(['locks', 'list'], env);
      expect(r.code).toBe(0);
      expect(r.stdout.split('\n')[0]!.split(/\s+/)).toEqual(['KEY', 'RUN_ID', 'STATE', 'ATTEMPT', 'OWNER', 'AGE']);
      expect(r.stdout).toMatch(new RegExp(`^assignments\\.fetch\\.${HASH_A} +${RUN_A} +running +2 +worker-1 +\\d+s$`, 'm'));
      expect(r.stdout).toContain('2 locks');
    },
    TIMEOUT,
  );

  it(
    "housekeeping's workspace lease → its state, run and owner, no attempt (it has none)",
    async () => {
      const now = new Date().toISOString();
      await kv.put(
        `ops.reconcile_adapter_runs.${HASH_A}`,
        JSON.stringify({ kind: 'workspace', run_id: RUN_B, owner: 'housekeeping-1', state: 'running', tick: now, heartbeat_at: now }),
      );
      const doc = await opsctlJson<LocksListJson>(['locks', 'list'], env);
      expect(doc.locks.find((l) => l.key === `ops.reconcile_adapter_runs.${HASH_A}`)).toMatchObject({
        run_id: RUN_B,
        state: 'running',
        attempt: null,
        owner: 'housekeeping-1',
      });
      await kv.delete(`ops.reconcile_adapter_runs.${HASH_A}`);
    },
    TIMEOUT,
  );

  it(
    'an unreadable value — garbage, or a lease of an unknown shape — is listed with state invalid, never coerced; a deleted key is not listed',
    async () => {
      await kv.put('ops.reconcile_adapter_runs.broken', 'not json');
      // a run lease without its kind (the shape before lease v1's `kind`): not guessed
      await kv.put(
        `assignments.restore.${HASH_A}`,
        JSON.stringify({ run_id: RUN_A, owner: 'w', attempt: 1, state: 'running', heartbeat_at: new Date().toISOString(), stream_seq: 1 }),
      );
      await kv.delete(`assignments.restore.${HASH_B}`);
      const doc = await opsctlJson<LocksListJson>(['locks', 'list'], env);
      expect(doc.locks.map((l) => l.key)).toEqual([
        `assignments.fetch.${HASH_A}`,
        `assignments.restore.${HASH_A}`,
        'ops.reconcile_adapter_runs.broken',
      ]);
      expect(doc.locks[1]).toMatchObject({ run_id: null, state: 'invalid', attempt: null, owner: null });
      expect(doc.locks[2]).toMatchObject({ run_id: null, state: 'invalid', attempt: null, owner: null });
    },
    TIMEOUT,
  );
});
