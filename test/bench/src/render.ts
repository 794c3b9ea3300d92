import { type CostPerRun, costOf, medianCost, renderCostTable, roleOf } from './cost.ts';
import { type Exchanges, type Histogram, mergeHistograms } from './exchanges.ts';
import { median, round, type Spread, spread } from './stats.ts';
import type { SystemName } from './workload.ts';

/** One run's figures as printed and as in the JSON document (see systems.ts RunResult). */
export interface ResultRow {
  system: SystemName;
  workload: string;
  run: number;
  dispatches: number;
  distinct_identities: number;
  dispatch_per_sec: number;
  e2e_per_sec: number;
  p50_ms: number;
  p99_ms: number;
  executed: number;
  ledger_rows: number | null;
  peak_rss_mb: Record<string, number>;
  cpu_s: Record<string, number>;
  ledger_check?: { rows_completed_with_counters: number; dedupe_hits: number; expected_dedupe_hits: number; ok: boolean };
  /** absent in documents saved before the bench measured them */
  exchanges?: Exchanges;
}

export interface Aggregate {
  system: SystemName;
  workload: string;
  runs: number;
  dispatches: number;
  distinct_identities: number;
  dispatch_per_sec: Spread;
  e2e_per_sec: Spread;
  p50_ms: Spread;
  p99_ms: Spread;
  executed: number[];
  ledger_rows: Array<number | null>;
  /** highest peak over the runs, per process */
  peak_rss_mb: Record<string, number>;
  /** median over the runs, per process */
  cpu_s: Record<string, number>;
  ledger_ok: boolean | null;
  /** per executed run, medians over the runs (cost.ts); null when not measured */
  cost: CostPerRun | null;
  /** the ledger's event batches of all the runs together (ops only) */
  ledger_batches: Histogram | null;
}

export function aggregate(results: readonly ResultRow[]): Aggregate[] {
  const groups = new Map<string, ResultRow[]>();
  for (const r of results) {
    const k = `${r.system}|${r.workload}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const out: Aggregate[] = [];
  for (const rows of groups.values()) {
    const first = rows[0]!;
    const peak: Record<string, number> = {};
    const cpuLists: Record<string, number[]> = {};
    for (const r of rows) {
      for (const [p, v] of Object.entries(r.peak_rss_mb)) peak[p] = Math.max(peak[p] ?? 0, v);
      for (const [p, v] of Object.entries(r.cpu_s)) cpuLists[p] = [...(cpuLists[p] ?? []), v];
    }
    const cpu: Record<string, number> = {};
    for (const [p, vs] of Object.entries(cpuLists)) cpu[p] = round(median(vs), 2);
    out.push({
      system: first.system,
      workload: first.workload,
      runs: rows.length,
      dispatches: first.dispatches,
      distinct_identities: first.distinct_identities,
      dispatch_per_sec: spread(rows.map((r) => r.dispatch_per_sec)),
      e2e_per_sec: spread(rows.map((r) => r.e2e_per_sec)),
      p50_ms: spread(rows.map((r) => r.p50_ms)),
      p99_ms: spread(rows.map((r) => r.p99_ms)),
      executed: rows.map((r) => r.executed),
      ledger_rows: rows.map((r) => r.ledger_rows),
      peak_rss_mb: peak,
      cpu_s: cpu,
      ledger_ok: first.ledger_check ? rows.every((r) => r.ledger_check?.ok === true) : null,
      cost: medianCost(rows.map(costOf)),
      ledger_batches: mergeHistograms(rows.map((r) => r.exchanges?.ledger_batch_sizes)),
    });
  }
  const order = (s: string) => ['ops', 'pg-boss', 'bullmq'].indexOf(s);
  return out.sort((a, b) => a.workload.localeCompare(b.workload) || order(a.system) - order(b.system));
}

/** ops ÷ peer of the medians, per workload: e2e runs/s and dispatch/s (> 1: ops is faster). */
export function ratios(aggs: readonly Aggregate[]): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const ops of aggs.filter((a) => a.system === 'ops')) {
    const r: Record<string, number> = {};
    for (const peer of aggs.filter((a) => a.workload === ops.workload && a.system !== 'ops')) {
      r[`e2e_vs_${peer.system}`] = round(ops.e2e_per_sec.median / peer.e2e_per_sec.median, 2);
      r[`dispatch_vs_${peer.system}`] = round(ops.dispatch_per_sec.median / peer.dispatch_per_sec.median, 2);
      r[`p99_latency_vs_${peer.system}`] = round(ops.p99_ms.median / peer.p99_ms.median, 2);
    }
    out[ops.workload] = r;
  }
  return out;
}

export interface OpenLoop {
  rate: number;
  dispatches: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  errors: number;
  late_start_max_ms: number;
}

export interface Target {
  name: string;
  met: boolean | null;
  measured: string;
}

export function targets(
  aggs: readonly Aggregate[],
  rat: Record<string, Record<string, number>>,
  open: OpenLoop | null,
  expected: { W1: number; W2: number },
): Target[] {
  const find = (s: string, w: string) => aggs.find((a) => a.system === s && a.workload === w);
  const out: Target[] = [];
  // issue #18's targets (docs/performance.md, "Targets")
  const w1 = rat['W1'];
  if (w1?.['e2e_vs_bullmq'] !== undefined)
    out.push({ name: 'W1 end-to-end ≥ 0.8× BullMQ', met: w1['e2e_vs_bullmq'] >= 0.8, measured: `${w1['e2e_vs_bullmq']}×` });
  if (w1?.['e2e_vs_pg-boss'] !== undefined)
    out.push({ name: 'W1 end-to-end ≥ 1.5× pg-boss', met: w1['e2e_vs_pg-boss'] >= 1.5, measured: `${w1['e2e_vs_pg-boss']}×` });
  const opsCost = find('ops', 'W1')?.cost;
  const bullCost = find('bullmq', 'W1')?.cost;
  if (opsCost && bullCost) {
    const ratio = Math.round((100 * opsCost.cpu_ms_total) / bullCost.cpu_ms_total) / 100;
    out.push({
      name: 'W1 total CPU per run ≤ 2× BullMQ (every process)',
      met: ratio <= 2,
      measured: `${ratio}× (${opsCost.cpu_ms_total.toFixed(2)} ms vs ${bullCost.cpu_ms_total.toFixed(2)} ms)`,
    });
  }
  if (opsCost?.jetstream_stores_total != null)
    out.push({
      name: 'W1 JetStream stores per run ≤ 4',
      met: opsCost.jetstream_stores_total <= 4,
      measured: String(opsCost.jetstream_stores_total),
    });
  if (opsCost?.errors_total != null)
    out.push({
      name: 'W1 Error constructions per run ≤ 2 (services)',
      met: opsCost.errors_total <= 2,
      measured: String(opsCost.errors_total),
    });
  const w2 = rat['W2'];
  if (w2?.['dispatch_vs_pg-boss'] !== undefined)
    out.push({ name: 'W2 dispatch/s ≥ pg-boss', met: w2['dispatch_vs_pg-boss'] >= 1, measured: `${w2['dispatch_vs_pg-boss']}×` });
  const opsW2 = find('ops', 'W2');
  if (opsW2) {
    out.push({
      name: `W2 executed = ${expected.W2} exactly, every duplicate counted in dedupe_hits`,
      met: opsW2.executed.every((e) => e === expected.W2) && opsW2.ledger_ok === true,
      measured: `executed ${opsW2.executed.join(', ')}; ledger check ${opsW2.ledger_ok ? 'ok' : 'FAILED'}`,
    });
  }
  const opsW1 = find('ops', 'W1');
  if (opsW1) {
    out.push({
      name: `W1 executed = ${expected.W1}, ledger rows = runs, all completed with counters`,
      met: opsW1.executed.every((e) => e === expected.W1) && opsW1.ledger_ok === true,
      measured: `executed ${opsW1.executed.join(', ')}; rows ${opsW1.ledger_rows.join(', ')}; ledger check ${opsW1.ledger_ok ? 'ok' : 'FAILED'}`,
    });
  }
  if (open)
    out.push({
      name: `dispatch p99 < 20 ms at ${open.rate} runs/s (open loop)`,
      met: open.p99_ms < 20 && open.errors === 0,
      measured: `p99 ${open.p99_ms} ms (p50 ${open.p50_ms}, max ${open.max_ms}, errors ${open.errors})`,
    });
  const opsAggs = aggs.filter((a) => a.system === 'ops');
  if (opsAggs.length > 0) {
    const peaks: Record<string, number> = {};
    // our services only: not the servers, the fake Graph or the bench process
    for (const a of opsAggs)
      for (const [p, v] of Object.entries(a.peak_rss_mb)) if (roleOf(p) === 'services') peaks[p] = Math.max(peaks[p] ?? 0, v);
    out.push({
      name: 'each service peak RSS < 150 MB',
      met: Object.values(peaks).every((v) => v < 150),
      measured: Object.entries(peaks)
        .map(([p, v]) => `${p} ${v}`)
        .join(', '),
    });
  }
  if (w1?.['e2e_vs_bullmq'] !== undefined)
    out.push({ name: 'goal: W1 end-to-end ≥ BullMQ', met: w1['e2e_vs_bullmq'] >= 1, measured: `${w1['e2e_vs_bullmq']}×` });
  return out;
}

const fmtSpread = (s: Spread, d = 0) =>
  s.min === s.max ? s.median.toFixed(d) : `${s.median.toFixed(d)} (${s.min.toFixed(d)}–${s.max.toFixed(d)})`;
const fmtMap = (m: Record<string, number>, d: number) =>
  Object.entries(m)
    .map(([k, v]) => `${k} ${v.toFixed(d)}`)
    .join(', ');

export function renderMarkdown(doc: {
  machine: Record<string, unknown>;
  aggregates: Aggregate[];
  ratios: Record<string, Record<string, number>>;
  open_loop: OpenLoop | null;
  targets: Target[];
}): string {
  const lines: string[] = [];
  const m = doc.machine;
  // documents saved before --cluster have no ops_on: they ran on one nats-server
  const opsOn = typeof m['ops_on'] === 'string' ? `, ops on ${m['ops_on']}` : '';
  lines.push(`## pnpm bench — ${String(m['mode'])}${opsOn}, median of ${String(m['repetitions'])} run(s) (min–max)`, '');
  lines.push(
    `machine: ${String(m['cpus'])} × ${String(m['cpu_model'])}, ${String(m['memory_gb'])} GB, node ${String(m['node'])}, ${String(m['postgres'])}, nats-server ${String(m['nats'])}, redis ${String(m['redis'])}; loadavg before ${JSON.stringify(m['loadavg_before'])} after ${JSON.stringify(m['loadavg_after'])}`,
    '',
  );
  lines.push(
    '| system | workload | dispatches / identities | dispatch/s | e2e runs/s | p50 ms | p99 ms | executed | ledger rows | peak RSS MB | CPU s |',
  );
  lines.push('|---|---|---|---:|---:|---:|---:|---|---|---|---|');
  for (const a of doc.aggregates) {
    const rows = a.ledger_rows.every((r) => r === null)
      ? '—'
      : `${a.ledger_rows.join(', ')}${a.ledger_ok === null ? '' : a.ledger_ok ? ' ✓' : ' ✗'}`;
    lines.push(
      `| ${a.system} | ${a.workload} | ${a.dispatches} / ${a.distinct_identities} | ${fmtSpread(a.dispatch_per_sec)} | ${fmtSpread(a.e2e_per_sec)} | ${fmtSpread(a.p50_ms)} | ${fmtSpread(a.p99_ms)} | ${a.executed.join(', ')} | ${rows} | ${fmtMap(a.peak_rss_mb, 0)} | ${fmtMap(a.cpu_s, 1)} |`,
    );
  }
  if (Number(m['nats_nodes'] ?? 1) > 1)
    lines.push(
      '',
      `nats-server (CPU, peak RSS): its ${String(m['nats_nodes'])} nodes summed, for every system (the peers leave the cluster idle); NATS msgs in / out: between clients and the cluster, route messages between the nodes apart.`,
    );
  const cost = renderCostTable(doc.aggregates);
  if (cost.length > 0) lines.push('', ...cost);
  lines.push('', '**Ratios** (ops ÷ peer, medians; > 1 means ops is higher):', '');
  for (const [w, r] of Object.entries(doc.ratios))
    lines.push(
      `- ${w}: ${Object.entries(r)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
  if (doc.open_loop) {
    const o = doc.open_loop;
    lines.push(
      '',
      `**Open loop** (ops): ${o.dispatches} dispatches paced at ${o.rate}/s → dispatch latency p50 ${o.p50_ms} ms, p99 ${o.p99_ms} ms, max ${o.max_ms} ms, errors ${o.errors}`,
    );
  }
  lines.push('', '**Targets**', '');
  for (const t of doc.targets)
    lines.push(`- [${t.met === true ? 'x' : ' '}] ${t.name}: ${t.measured}${t.met === false ? ' — NOT MET' : ''}`);
  return `${lines.join('\n')}\n`;
}
