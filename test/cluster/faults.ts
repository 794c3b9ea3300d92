import { jetstreamManager } from '@nats-io/jetstream';
import { type ClusterNode, type NatsCluster, sleep } from '@ops/test-support';
import type { ChaosStack } from '../chaos/stack.ts';

// The cluster faults' moving parts: who leads what (from stream info), moving leaders, node health and connections.

/** OPS_JOBS, OPS_LEDGER and the locks bucket's stream: the assets a leader kill must hit at once */
export function replicatedAssets(stack: ChaosStack): string[] {
  return [stack.names.streams.jobs, stack.names.streams.ledger, `KV_${stack.names.kv.locks}`];
}

export function clusterOf(stack: ChaosStack): NatsCluster {
  if (!stack.cluster) throw new Error('not a cluster stack');
  return stack.cluster;
}

/** The node named as the stream's leader by its stream info ('' while there is none), retried while the cluster elects. */
export async function streamLeader(stack: ChaosStack, stream: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const jsm = await jetstreamManager(stack.nc, { timeout: 3_000 });
      const leader = (await jsm.streams.info(stream)).cluster?.leader ?? '';
      if (leader !== '') return leader;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline) throw new Error(`${stream} has no leader after ${timeoutMs} ms`);
    await sleep(200);
  }
}

/**
 * Steps leaders down (`$JS.API.STREAM.LEADER.STEPDOWN`, the server picks
 * another replica at random) until `node` leads every asset, as stream info
 * shows. Answers how many stepdowns it took.
 */
export async function gatherLeaders(stack: ChaosStack, node: string, assets: readonly string[], timeoutMs = 90_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let stepdowns = 0;
  for (;;) {
    const leaders = await Promise.all(assets.map((a) => streamLeader(stack, a)));
    const elsewhere = assets.filter((_, i) => leaders[i] !== node);
    if (elsewhere.length === 0) return stepdowns;
    if (Date.now() > deadline) throw new Error(`could not move the leaders of ${elsewhere.join(', ')} to ${node} within ${timeoutMs} ms`);
    for (const asset of elsewhere) {
      const before = leaders[assets.indexOf(asset)];
      await stack.nc.request(`$JS.API.STREAM.LEADER.STEPDOWN.${asset}`, undefined, { timeout: 5_000 }).catch(() => undefined);
      stepdowns += 1;
      // the next leader is elected within a few seconds
      const until = Date.now() + 15_000;
      while (Date.now() < until) {
        const now = await streamLeader(stack, asset).catch(() => '');
        if (now !== '' && now !== before) break;
        await sleep(200);
      }
    }
  }
}

export async function routeCount(node: ClusterNode): Promise<number> {
  return (await node.monitor<{ num_routes: number }>('/routez')).num_routes;
}

/** Client connections by name on one node (the services name theirs; the test's own has no name). */
export async function clientsByName(node: ClusterNode): Promise<Map<string, number>> {
  const connz = await node.monitor<{ connections?: Array<{ name?: string }> }>('/connz?limit=1024');
  const counts = new Map<string, number>();
  for (const c of connz.connections ?? []) if (c.name) counts.set(c.name, (counts.get(c.name) ?? 0) + 1);
  return counts;
}

/** Waits (bounded) until `check` holds; answers the ms it took. `explain` says, on a timeout, what was seen last. */
export async function within(what: string, timeoutMs: number, check: () => Promise<boolean>, explain?: () => string): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check().catch(() => false)) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms${explain ? `\n${explain()}` : ''}`);
    await sleep(250);
  }
}

/**
 * Waits (bounded) for the node's /healthz to say ok (JetStream current: what
 * the StatefulSet's readiness probe waits for); on a timeout the error
 * carries the last /healthz?details answer (which stream or consumer is not
 * current) and the tail of the node's log.
 */
export async function untilHealthy(node: ClusterNode, what: string, timeoutMs: number): Promise<number> {
  let last = 'no answer';
  return within(
    what,
    timeoutMs,
    async () => {
      const h = await node
        .monitor<{ status?: string }>('/healthz?details=true')
        .catch((err: Error) => ({ status: `error: ${err.message}` }));
      last = JSON.stringify(h);
      return h.status === 'ok';
    },
    () => `last /healthz?details=true: ${last}\n${node.name}'s log (tail):\n${node.log().slice(-4000)}`,
  );
}
