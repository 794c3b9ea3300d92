import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { costOf, medianCost, renderCostTable, roleOf } from '../src/cost.ts';
import {
  deltas,
  type Exchanges,
  histogramDelta,
  mergeHistograms,
  parseCommandstats,
  parseHistogram,
  readErrorCount,
} from '../src/exchanges.ts';
import { parseStatChildrenCpu, sampleProcess, sampleTreeCpu } from '../src/procstat.ts';
import { ROOT } from '../src/stack.ts';

// The bench's cost accounting: its parsers and sums, and the two mechanisms it
// relies on (a process tree's CPU from /proc, the Error counter preload) on real processes.

describe('counters from the servers', () => {
  it('Redis: Σ calls of INFO commandstats without the bench own INFO / CONFIG', () => {
    const info = [
      '# Commandstats',
      'cmdstat_evalsha:calls=120,usec=900,usec_per_call=7.5,rejected_calls=0,failed_calls=0',
      'cmdstat_info:calls=3,usec=30,usec_per_call=10.00',
      'cmdstat_config|resetstat:calls=1,usec=5',
      'cmdstat_bzpopmin:calls=40,usec=100',
    ].join('\r\n');
    expect(parseCommandstats(info)).toBe(160);
  });

  it('a Prometheus histogram: cumulative buckets, sum and count; the delta per bucket', () => {
    const text = (n1: number, n2: number, n5: number, inf: number, sum: number) =>
      [
        '# TYPE ops_ledger_event_batch_size histogram',
        `ops_ledger_event_batch_size_bucket{le="1"} ${n1}`,
        `ops_ledger_event_batch_size_bucket{le="2"} ${n2}`,
        `ops_ledger_event_batch_size_bucket{le="5"} ${n5}`,
        `ops_ledger_event_batch_size_bucket{le="+Inf"} ${inf}`,
        `ops_ledger_event_batch_size_sum ${sum}`,
        `ops_ledger_event_batch_size_count ${inf}`,
        'other_metric_bucket{le="1"} 99',
      ].join('\n');
    const before = parseHistogram(text(1, 1, 2, 2, 5), 'ops_ledger_event_batch_size');
    expect(before).toEqual({ buckets: { '1': 1, '2': 1, '5': 2, '+Inf': 2 }, sum: 5, count: 2 });
    const after = parseHistogram(text(4, 6, 8, 9, 30), 'ops_ledger_event_batch_size');
    // between: 3 batches of 1, 2 of 2, 1 of 3–5, 1 larger; 25 events in 7 batches
    expect(histogramDelta(before, after)).toEqual({ buckets: { '1': 3, '2': 2, '5': 1, '+Inf': 1 }, sum: 25, count: 7 });
    expect(mergeHistograms([after, null, after])).toEqual({ buckets: { '1': 8, '2': 12, '5': 16, '+Inf': 18 }, sum: 60, count: 18 });
    expect(deltas({ a: 1, b: 5 }, { a: 4, b: 5, c: 2 })).toEqual({ a: 3, b: 0, c: 2 });
  });
});

const exchanges: Exchanges = {
  nats: { in_msgs: 15_000, out_msgs: 14_000 },
  jetstream_stores: { jobs: 1000, ledger: 2000, dlq: 0, kv: 3000 },
  sql: { statements: 7700, commits: 5000 },
  redis_commands: null,
  errors: { 'ledger-service': 0, 'assignment-worker': 26_000 },
  ledger_batch_sizes: { buckets: { '1': 400, '2': 300 }, sum: 1000, count: 700 },
};

describe('cost per executed run', () => {
  it('divides every total by the executed runs and groups CPU by role', () => {
    expect(['ledger-service', 'nats-server', 'postgres', 'redis', 'fake-graph', 'bench', 'bullmq-worker'].map(roleOf)).toEqual([
      'services',
      'nats-server',
      'postgres',
      'redis',
      'fake-graph',
      'producers',
      'services',
    ]);
    const cost = costOf({
      executed: 1000,
      cpu_s: { 'ledger-service': 1, 'assignment-worker': 2, 'nats-server': 0.5, postgres: 3, 'fake-graph': 0.25, bench: 0.75 },
      exchanges,
    })!;
    expect(cost.cpu_ms_total).toBe(7.5);
    expect(cost.cpu_ms_by_role).toEqual({ services: 3, 'nats-server': 0.5, postgres: 3, redis: 0, 'fake-graph': 0.25, producers: 0.75 });
    expect(cost).toMatchObject({
      nats_msgs_in: 15,
      nats_msgs_out: 14,
      jetstream_stores: { jobs: 1, ledger: 2, dlq: 0, kv: 3 },
      jetstream_stores_total: 6,
      sql_statements: 7.7,
      sql_commits: 5,
      redis_commands: null,
      errors_total: 26,
    });
    // a document saved before the bench measured exchanges has no cost
    expect(costOf({ executed: 1000, cpu_s: {} })).toBeNull();
  });

  it('medians over runs, and the markdown table under the throughput table', () => {
    const a = costOf({ executed: 1000, cpu_s: { 'assignment-worker': 2 }, exchanges })!;
    const b = costOf({ executed: 1000, cpu_s: { 'assignment-worker': 4 }, exchanges })!;
    const c = costOf({ executed: 1000, cpu_s: { 'assignment-worker': 3 }, exchanges })!;
    const m = medianCost([a, b, c, null])!;
    expect(m.cpu_ms['assignment-worker']).toBe(3);
    expect(m.sql_commits).toBe(5);
    const lines = renderCostTable([{ system: 'ops', workload: 'W1', cost: m, ledger_batches: exchanges.ledger_batch_sizes }]);
    expect(lines.join('\n')).toContain('| ops | W1 | 3.00 | 3.00 (assignment-worker 3.00) |');
    expect(lines.join('\n')).toContain('| 15.00 / 14.00 | 6.00 (jobs 1.00, ledger 2.00, dlq 0.00, kv 3.00) | 7.70 / 5.00 | — |');
    expect(lines.join('\n')).toContain('700 batches of 1000 events, mean 1.43; by size ≤1: 400, ≤2: 300');
    expect(renderCostTable([{ system: 'ops', workload: 'W1', cost: null, ledger_batches: null }])).toEqual([]);
    // on a cluster: route messages between the nodes beside the clients' in / out
    const routed = costOf({
      executed: 1000,
      cpu_s: {},
      exchanges: { ...exchanges, nats: { in_msgs: 15_000, out_msgs: 14_000, route_msgs: 9_000 } },
    });
    expect(routed!.nats_route_msgs).toBe(9);
    const clusterLines = renderCostTable([{ system: 'ops', workload: 'W1', cost: routed, ledger_batches: null }]);
    expect(clusterLines.join('\n')).toContain('| 15.00 / 14.00 (+ 9.00 between nodes) |');
  });
});

/** a node process running `script`, optionally with the Error counter preload */
function node(script: string, env: Record<string, string> = {}, preload = false) {
  const args = [...(preload ? ['--import', join(ROOT, 'test/bench/src/count-errors.ts')] : []), '-e', script];
  return spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
}

describe('measuring real processes', () => {
  it("a process tree's CPU includes its live children and, once reaped, their time (a backend that exited)", async () => {
    // the parent burns nothing; its child burns ~300 ms of CPU, then exits and is reaped
    const parent = node(
      `const c = require('node:child_process').spawn(process.execPath, ['-e', 'const e = Date.now() + 300; while (Date.now() < e);']);
       c.on('exit', () => console.log('reaped')); setTimeout(() => {}, 10_000);`,
    );
    const pid = parent.pid!;
    const reaped = new Promise<void>((resolve) => parent.stdout!.on('data', (d: Buffer) => d.toString().includes('reaped') && resolve()));
    await reaped;
    const own = sampleProcess(pid)!.cpuS;
    const tree = sampleTreeCpu(pid)!;
    parent.kill('SIGKILL');
    // the child's ~0.3 s moved into the parent's cutime/cstime
    expect(tree - own).toBeGreaterThanOrEqual(0.2);
    expect(parseStatChildrenCpu('9 (x) S 1 1 1 0 -1 0 0 0 0 0 5 5 120 30 20 0')).toBe(1.5);
  });

  it('count-errors.ts counts Error constructions, subclasses included, and reports on SIGUSR2', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bench-errors-'));
    const file = join(dir, 'count');
    const child = node(
      `class E extends Error {}
       for (let i = 0; i < 5; i++) new E('x');
       new Error('y'); Error('z'); new TypeError('t');
       console.log(new E('q') instanceof Error ? 'ready' : 'broken');
       setTimeout(() => {}, 10_000);`,
      { BENCH_ERRORS_FILE: file },
      true,
    );
    try {
      await new Promise<void>((resolve, reject) =>
        child.stdout!.on('data', (d: Buffer) => (d.toString().includes('ready') ? resolve() : reject(new Error(d.toString())))),
      );
      // 5 + 1 + 1 + 1 + the one checked with instanceof
      expect(await readErrorCount(child.pid!, file)).toBe(9);
    } finally {
      child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });
});
