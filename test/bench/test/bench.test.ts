import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseStatCpu, parseStatusKb, sampleProcess, sampleProcesses } from '../src/procstat.ts';
import { type CpuProfile, packageOf, shortUrl, summarizeProfile } from '../src/profile.ts';
import { aggregate, type ResultRow, ratios, renderMarkdown, targets } from '../src/render.ts';
import { median, percentile, perSecond, round, spread } from '../src/stats.ts';
import { latencies, producerSequences, workloadSpec } from '../src/workload.ts';

// The bench's pure parts only (the benchmark itself is `pnpm bench`, not a test).

describe('stats', () => {
  it('nearest-rank percentiles, median, spread', () => {
    const v = Array.from({ length: 100 }, (_, i) => 100 - i); // 1..100 shuffled order
    expect(percentile(v, 50)).toBe(50);
    expect(percentile(v, 99)).toBe(99);
    expect(percentile(v, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(spread([5, 1, 3])).toEqual({ median: 3, min: 1, max: 5 });
    expect(perSecond(500, 250)).toBe(2000);
    expect(round(1.26, 1)).toBe(1.3);
  });
});

describe('workloads', () => {
  it('W1: every identity once over 4 producers', () => {
    const seqs = producerSequences(workloadSpec('W1', 1000));
    expect(seqs).toHaveLength(4);
    expect(seqs.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('W2: each of N/4 identities exactly 4 times, once per producer, interleaved', () => {
    const spec = workloadSpec('W2', 10_000);
    expect(spec.identities).toBe(2500);
    const seqs = producerSequences(spec);
    const counts = new Map<number, number>();
    for (const s of seqs) {
      expect(new Set(s).size).toBe(2500);
      for (const i of s) counts.set(i, (counts.get(i) ?? 0) + 1);
    }
    expect(counts.size).toBe(2500);
    expect([...counts.values()].every((c) => c === 4)).toBe(true);
    expect(seqs[1]![0]).not.toBe(seqs[0]![0]);
  });

  it('latency counts from the first dispatch of each id', () => {
    const records = [
      { identity: 0, t0: 100, t1: 101, id: 'a', created: true },
      { identity: 0, t0: 90, t1: 95, id: 'a', created: false },
      { identity: 1, t0: 200, t1: 201, id: 'b', created: true },
      { identity: 2, t0: 200, t1: 201, id: null, created: false },
    ];
    expect(
      latencies(
        records,
        new Map([
          ['a', 190],
          ['b', 260],
        ]),
      ).sort((x, y) => x - y),
    ).toEqual([60, 100]);
  });
});

describe('/proc parsing', () => {
  it('reads utime+stime and VmHWM', () => {
    const stat = '1234 (node (x) y) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 11 0 100 1000000 5000';
    expect(parseStatCpu(stat)).toBe(3);
    expect(parseStatusKb('Name:\tnode\nVmHWM:\t  153600 kB\nVmRSS:\t  102400 kB\n', 'VmHWM')).toBe(150);
    expect(parseStatusKb('Name:\tnode\nVmRSS:\t  102400 kB\n', 'VmRSS')).toBe(100);
  });

  it("several processes as one (a cluster's nodes): peak RSS and CPU summed, a gone one left out", async () => {
    // an idle process, once it sleeps (not while it execs and loads): its high-water mark stays put between the samples
    const idle = spawn('sleep', ['30'], { stdio: 'ignore' });
    const gone = 2 ** 22 + 1; // above the highest pid_max: never a process
    const asleep = () => / \(sleep\) S /.test(readFileSync(`/proc/${idle.pid}/stat`, 'utf8'));
    try {
      while (!asleep()) await new Promise((r) => setTimeout(r, 20));
      const one = sampleProcess(idle.pid!)!;
      const two = sampleProcesses([idle.pid!, idle.pid!, gone])!;
      expect(two.peakRssMb).toBe(2 * one.peakRssMb);
      expect(two.cpuS).toBe(2 * one.cpuS);
      expect(sampleProcesses([gone])).toBeNull();
    } finally {
      idle.kill('SIGKILL');
    }
  });
});

const row = (system: ResultRow['system'], workload: string, run: number, e2e: number, extra: Partial<ResultRow> = {}): ResultRow => ({
  system,
  workload,
  run,
  dispatches: 1000,
  distinct_identities: workload === 'W1' ? 1000 : 250,
  dispatch_per_sec: e2e * 2,
  e2e_per_sec: e2e,
  p50_ms: 10,
  p99_ms: 20,
  executed: workload === 'W1' ? 1000 : 250,
  ledger_rows: system === 'ops' ? (workload === 'W1' ? 1000 : 250) : null,
  peak_rss_mb: { worker: 100 + run },
  cpu_s: { worker: run },
  ...extra,
});

describe('rendering', () => {
  const okCheck = (hits: number) => ({ rows_completed_with_counters: 0, dedupe_hits: hits, expected_dedupe_hits: hits, ok: true });
  const results: ResultRow[] = [
    ...[1, 2, 3].map((r) => row('ops', 'W1', r, [300, 330, 360][r - 1]!, { ledger_check: okCheck(0) })),
    ...[1, 2, 3].map((r) => row('pg-boss', 'W1', r, 100)),
    ...[1, 2, 3].map((r) => row('bullmq', 'W1', r, 400)),
    ...[1, 2, 3].map((r) => row('ops', 'W2', r, 100, { ledger_check: okCheck(750) })),
  ];

  it('aggregates medians with min–max, peak RSS max, CPU median; ratios against each peer', () => {
    const aggs = aggregate(results);
    const opsW1 = aggs.find((a) => a.system === 'ops' && a.workload === 'W1')!;
    expect(opsW1.e2e_per_sec).toEqual({ median: 330, min: 300, max: 360 });
    expect(opsW1.peak_rss_mb).toEqual({ worker: 103 });
    expect(opsW1.cpu_s).toEqual({ worker: 2 });
    expect(opsW1.ledger_ok).toBe(true);
    expect(aggs.map((a) => `${a.system}/${a.workload}`)).toEqual(['ops/W1', 'pg-boss/W1', 'bullmq/W1', 'ops/W2']);
    const rat = ratios(aggs);
    expect(rat['W1']!['e2e_vs_pg-boss']).toBe(3.3);
    expect(rat['W1']!['e2e_vs_bullmq']).toBe(0.83);
    const tg = targets(
      aggs,
      rat,
      { rate: 500, dispatches: 2000, p50_ms: 2, p99_ms: 12, max_ms: 30, errors: 0, late_start_max_ms: 1 },
      { W1: 1000, W2: 250 },
    );
    expect(tg.find((t) => t.name === 'W1 end-to-end ≥ 0.8× BullMQ')!.met).toBe(true);
    expect(tg.find((t) => t.name === 'W1 end-to-end ≥ 1.5× pg-boss')!.met).toBe(true);
    expect(tg.find((t) => t.name.startsWith('dispatch p99'))!.met).toBe(true);
    expect(tg.find((t) => t.name.startsWith('goal'))!.met).toBe(false);
    const md = renderMarkdown({ machine: { mode: 'quick', repetitions: 3 }, aggregates: aggs, ratios: rat, open_loop: null, targets: tg });
    expect(md).toContain('| ops | W1 | 1000 / 1000 | 660 (600–720) | 330 (300–360) |');
    expect(md).toContain('## pnpm bench — quick, median of 3 run(s)');
    expect(md).not.toContain('nodes summed');
    expect(md).toContain('e2e_vs_pg-boss 3.3');
    expect(md).toContain('- [ ] goal: W1 end-to-end ≥ BullMQ: 0.83× — NOT MET');
    // --cluster: the heading says what ops ran on, and how nats-server is counted
    const cluster = renderMarkdown({
      machine: {
        mode: 'quick',
        repetitions: 3,
        ops_on: 'a 3-node NATS cluster (R3 streams and KV), 2 ledger-service replicas',
        nats_nodes: 3,
      },
      aggregates: aggs,
      ratios: rat,
      open_loop: null,
      targets: tg,
    });
    expect(cluster).toContain(
      '## pnpm bench — quick, ops on a 3-node NATS cluster (R3 streams and KV), 2 ledger-service replicas, median of 3',
    );
    expect(cluster).toContain('nats-server (CPU, peak RSS): its 3 nodes summed');
    // the JSON document's results keep the field names
    const doc = JSON.parse(JSON.stringify({ results })) as { results: Array<Record<string, unknown>> };
    for (const k of [
      'system',
      'workload',
      'run',
      'dispatches',
      'distinct_identities',
      'dispatch_per_sec',
      'e2e_per_sec',
      'p50_ms',
      'p99_ms',
      'executed',
      'ledger_rows',
      'peak_rss_mb',
      'cpu_s',
    ]) {
      expect(doc.results[0]).toHaveProperty(k);
    }
  });
});

describe('cpuprofile summary', () => {
  it('self time per function and per package, idle excluded', () => {
    const profile: CpuProfile = {
      startTime: 0,
      endTime: 10_000,
      nodes: [
        { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 }, children: [2, 3, 4] },
        { id: 2, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 } },
        {
          id: 3,
          callFrame: { functionName: 'parse', url: 'file:///r/node_modules/.pnpm/zod@4/node_modules/zod/v4/core.js', lineNumber: 9 },
        },
        { id: 4, callFrame: { functionName: 'apply', url: 'file:///r/services/ledger-service/src/domain/apply-event.ts', lineNumber: 0 } },
      ],
      // samples: the delta BEFORE sample i+1 is sample i's duration
      samples: [2, 3, 3, 4, 2],
      timeDeltas: [0, 1000, 2000, 3000, 4000],
    };
    const s = summarizeProfile(profile);
    expect(s.totalMs).toBe(10);
    // sample i lasts until sample i+1: idle 1 ms, parse 2 + 3 ms, apply 4 ms (the last sample has no end)
    expect(s.busyMs).toBe(9);
    expect(s.byFunction[0]).toMatchObject({ key: 'parse zod/v4/core.js:10', selfMs: 5 });
    expect(s.byUrl.map((r) => r.key)).toEqual(['zod', 'services/ledger-service']);
    expect(shortUrl('file:///r/libs/nats/src/batch-consumer.ts')).toBe('libs/nats/src/batch-consumer.ts');
    expect(packageOf('node:internal/streams/readable')).toBe('node: (core)');
  });
});
