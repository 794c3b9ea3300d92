import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { nanos } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { createNames } from '@ops/contracts';
import { ensureTopology } from '@ops/nats';
import { startNatsCluster } from '@ops/test-support';
import { describe, expect, it } from 'vitest';

/**
 * Two ledger replicas start at once on a fresh cluster (the prod overlay runs
 * two; a StatefulSet-less Deployment starts them together). Before the fix one
 * replica's add and the other's no-op update of the same stream crossed while
 * its create was in flight, and nats-server 2.10.27 answered neither: both
 * replicas' ensureTopology timed out, every time (8 of 8 rounds).
 */
describe('the topology, created by two replicas at once on a fresh 3-node cluster', () => {
  it('both succeed; an unchanged topology is not updated again; a drifted setting is', async () => {
    const cluster = await startNatsCluster();
    const names = createNames('');
    const conns = await Promise.all(cluster.urls.slice(0, 2).map((url) => connect({ servers: [url], timeout: 5_000 })));
    const watcher = await connect({ servers: [cluster.urls[2]!] });
    try {
      const updates: string[] = [];
      const sub = watcher.subscribe('$JS.API.STREAM.UPDATE.>', {
        callback: (_err, msg) => {
          updates.push(msg.subject);
        },
      });
      await watcher.flush();

      const results = await Promise.allSettled(conns.map((nc) => ensureTopology(nc, names, { replicas: 3 })));
      expect(results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok'))).toEqual(['ok', 'ok']);

      const jsm = await jetstreamManager(watcher);
      for (const stream of [names.streams.jobs, names.streams.ledger, names.streams.dlq]) {
        const info = await jsm.streams.info(stream);
        expect(info.config.num_replicas).toBe(3);
        expect(info.cluster?.replicas?.length).toBe(2);
      }
      const locks = await jsm.streams.info(`KV_${names.kv.locks}`);
      expect(locks.config.num_replicas).toBe(3);
      expect(locks.config.allow_direct).toBe(false);
      expect(updates).toEqual([]);

      // an operator (or an older release) changed a setting we own: the next start puts it back
      await jsm.streams.update(names.streams.dlq, { max_age: nanos(20 * 24 * 3600 * 1000) });
      await watcher.flush();
      updates.length = 0;
      await ensureTopology(conns[0]!, names, { replicas: 3 });
      await watcher.flush();
      expect(updates).toEqual([`$JS.API.STREAM.UPDATE.${names.streams.dlq}`]);
      expect((await jsm.streams.info(names.streams.dlq)).config.max_age).toBe(nanos(30 * 24 * 3600 * 1000));
      expect((await new Kvm(watcher).open(names.kv.locks).then((kv) => kv.status())).replicas).toBe(3);
      sub.unsubscribe();
    } finally {
      await Promise.all([...conns, watcher].map((nc) => nc.close()));
      await cluster.stop();
    }
  });
});
