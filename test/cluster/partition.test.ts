import { sleep } from '@ops/test-support';
import { describe, expect, it } from 'vitest';
import { scenarioSeed } from '../chaos/random.ts';
import { runScenario } from '../chaos/scenario.ts';
import { RUNS } from '../chaos/stack.ts';
import { clientsByName, clusterOf, routeCount, within } from './faults.ts';

/**
 * Cluster 4 (issue #19): a partition — the link of the node with the most
 * service connections taken down mid-load (its namespace's veth: routes and
 * clients lose it together). Shown while cut: its /routez has 0 routes, and
 * every client it had appears in another node's /connz. Then the link comes
 * back and the routes with it.
 */
describe('cluster: one node partitioned away mid-load, then healed', () => {
  it(`${RUNS} runs on 3 nodes (R3): all completed, counters = ground truth, no overlap, no event lost`, async () => {
    const { figures, verdict } = await runScenario({
      scenario: 'cluster-partition',
      cluster: true,
      seed: scenarioSeed(0x9a27),
      faults: 1,
      dispatchRate: 15,
      async inject(stack, _i, random) {
        const nodes = clusterOf(stack).nodes;
        const before = await Promise.all(nodes.map((n) => clientsByName(n)));
        const load = before.map((m) => [...m.values()].reduce((a, b) => a + b, 0));
        const t = load.indexOf(Math.max(...load));
        const target = nodes[t]!;
        const moved = before[t]!;
        const others = nodes.filter((_, i) => i !== t);
        const othersBefore = sumCounts(before.filter((_, i) => i !== t));
        target.cut();
        // both timed from the cut
        const [routesGoneMs, clientsMovedMs] = await Promise.all([
          within(`${target.name}: 0 routes during the cut`, 90_000, async () => (await routeCount(target)) === 0),
          within(`${target.name}'s clients on another node`, 90_000, async () => {
            const now = sumCounts(await Promise.all(others.map((n) => clientsByName(n))));
            return [...moved].every(([name, n]) => (now.get(name) ?? 0) >= (othersBefore.get(name) ?? 0) + n);
          }),
        ]);
        const extraMs = 2_000 + Math.floor(random() * 3_000);
        await sleep(extraMs);
        target.heal();
        const routesBackMs = await within(`${target.name}: routes back after the heal`, 60_000, async () => (await routeCount(target)) > 0);
        const movedText = [...moved].map(([name, n]) => `${n} ${name}`).join(', ');
        return `cut ${target.name} (clients: ${movedText}): 0 routes after ${routesGoneMs} ms, its clients on other nodes after ${clientsMovedMs} ms; healed after ${extraMs} ms more, routes back in ${routesBackMs} ms`;
      },
    });
    expect(verdict.problems).toEqual([]);
    expect(figures.runs).toBe(RUNS);
    expect(figures.kills_or_restarts).toBe(1);
  }, 900_000);
});

function sumCounts(maps: ReadonlyArray<Map<string, number>>): Map<string, number> {
  const sum = new Map<string, number>();
  for (const m of maps) for (const [k, v] of m) sum.set(k, (sum.get(k) ?? 0) + v);
  return sum;
}
