import { sleep } from '@ops/test-support';
import { describe, expect, it } from 'vitest';
import { scenarioSeed } from '../chaos/random.ts';
import { runScenario } from '../chaos/scenario.ts';
import { RUNS } from '../chaos/stack.ts';
import { clusterOf, gatherLeaders, replicatedAssets, streamLeader } from './faults.ts';

/**
 * Cluster 1 (issue #19): the node that leads OPS_JOBS, OPS_LEDGER and the
 * locks bucket at once — leaders stepped down until one node holds all
 * three, as stream info shows — killed with -9 mid-load and brought back.
 */
describe('cluster: the leader of every stream and the bucket killed with -9', () => {
  it(`${RUNS} runs on 3 nodes (R3): all completed, counters = ground truth, no overlap, no event lost`, async () => {
    const { figures, verdict } = await runScenario({
      scenario: 'cluster-leader-kill',
      cluster: true,
      seed: scenarioSeed(0xc1ead),
      faults: 2,
      async inject(stack, _i, random) {
        const cluster = clusterOf(stack);
        const assets = replicatedAssets(stack);
        const target = await streamLeader(stack, assets[0]!);
        const stepdowns = await gatherLeaders(stack, target, assets);
        const leaders = await Promise.all(assets.map((a) => streamLeader(stack, a)));
        if (leaders.some((l) => l !== target)) throw new Error(`leaders moved again: ${leaders.join(', ')}`);
        const node = cluster.nodes.find((n) => n.name === target)!;
        const pid = node.pid();
        await node.kill();
        const downMs = 3_000 + Math.floor(random() * 4_000);
        await sleep(downMs);
        await node.start();
        const after = await Promise.all(assets.map((a) => streamLeader(stack, a)));
        return `${target} led ${assets.join(', ')} (stream info, after ${stepdowns} stepdown(s)): kill -9 (pid ${pid}), back after ${downMs} ms; leaders now ${after.join(', ')}`;
      },
    });
    expect(verdict.problems).toEqual([]);
    expect(figures.runs).toBe(RUNS);
    expect(figures.kills_or_restarts).toBe(2);
  }, 900_000);
});
