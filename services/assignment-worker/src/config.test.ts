import { describe, expect, it } from 'vitest';
import { loadWorkerConfig } from './config.ts';

const base = { GRAPH_CLIENT_SECRET: 'a-secret-of-the-test' };

describe('worker config: the fencing timings must nest', () => {
  it('accepts the defaults: fence 6 s + renew timeout 2 s < stale 10 s, heartbeat 2 s < fence, ack wait 30 s > heartbeat', () => {
    const c = loadWorkerConfig(base);
    expect([c.WORKER_LEASE_FENCE_MS, c.WORKER_LEASE_RENEW_TIMEOUT_MS, c.WORKER_LEASE_STALE_MS]).toEqual([6_000, 2_000, 10_000]);
  });

  it.each([
    [
      'fence + renew timeout not below the stale time',
      { WORKER_LEASE_FENCE_MS: '8000' },
      /WORKER_LEASE_FENCE_MS: fence \+ WORKER_LEASE_RENEW_TIMEOUT_MS must be less than WORKER_LEASE_STALE_MS/,
    ],
    ['a heartbeat not inside the fence', { WORKER_HEARTBEAT_MS: '6000' }, /WORKER_HEARTBEAT_MS: must be less than WORKER_LEASE_FENCE_MS/],
    ['an ack wait not above the heartbeat', { WORKER_ACK_WAIT_MS: '2000' }, /WORKER_ACK_WAIT_MS: must exceed WORKER_HEARTBEAT_MS/],
  ])('refuses %s, naming the key', (_, env, message) => {
    expect(() => loadWorkerConfig({ ...base, ...env })).toThrow(message);
  });

  it('reports every broken rule at once', () => {
    expect(() =>
      loadWorkerConfig({ ...base, WORKER_LEASE_STALE_MS: '1000', WORKER_HEARTBEAT_MS: '7000', WORKER_ACK_WAIT_MS: '7000' }),
    ).toThrow(/FENCE_MS[\s\S]*HEARTBEAT_MS[\s\S]*ACK_WAIT_MS/);
  });
});
