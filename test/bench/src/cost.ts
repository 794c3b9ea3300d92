import type { Exchanges, Histogram } from './exchanges.ts';
import { median, round } from './stats.ts';

/**
 * The whole cost of a run, per executed run (a W2 run carries its duplicate
 * dispatches): CPU of every process taking part and what was exchanged
 * (docs/performance.md, "Cost per run"). The JSON document keeps the totals
 * of each run (`cpu_s`, `exchanges`); these are derived from them.
 */
export interface CostPerRun {
  /** CPU milliseconds per executed run, by process */
  cpu_ms: Record<string, number>;
  /** by role: the system's own processes, servers, the fake Graph, the producers (the bench process) */
  cpu_ms_by_role: { services: number; 'nats-server': number; postgres: number; redis: number; 'fake-graph': number; producers: number };
  cpu_ms_total: number;
  nats_msgs_in: number | null;
  nats_msgs_out: number | null;
  /** between the nodes of a cluster (0 on one server; null: not measured) */
  nats_route_msgs: number | null;
  jetstream_stores: Record<string, number> | null;
  jetstream_stores_total: number | null;
  sql_statements: number;
  sql_commits: number;
  redis_commands: number | null;
  errors: Record<string, number> | null;
  errors_total: number | null;
}

const SERVERS = new Set(['nats-server', 'postgres', 'redis']);

/** which part of the system a measured process is */
export function roleOf(process: string): keyof CostPerRun['cpu_ms_by_role'] {
  if (SERVERS.has(process)) return process as 'nats-server' | 'postgres' | 'redis';
  if (process === 'fake-graph') return 'fake-graph';
  if (process === 'bench') return 'producers';
  return 'services';
}

const per = (total: number, runs: number, digits = 2) => round(total / runs, digits);
const sum = (values: Iterable<number>) => [...values].reduce((a, b) => a + b, 0);

/** One run's cost per executed run (null without exchanges: a document saved before they were measured). */
export function costOf(row: { executed: number; cpu_s: Record<string, number>; exchanges?: Exchanges }): CostPerRun | null {
  const x = row.exchanges;
  if (!x || row.executed <= 0) return null;
  const runs = row.executed;
  const cpu_ms: Record<string, number> = {};
  const byRole = { services: 0, 'nats-server': 0, postgres: 0, redis: 0, 'fake-graph': 0, producers: 0 };
  for (const [p, s] of Object.entries(row.cpu_s)) {
    cpu_ms[p] = per(s * 1000, runs, 3);
    byRole[roleOf(p)] += (s * 1000) / runs;
  }
  for (const k of Object.keys(byRole) as Array<keyof typeof byRole>) byRole[k] = round(byRole[k], 3);
  const stores = x.jetstream_stores;
  const errors = x.errors;
  return {
    cpu_ms,
    cpu_ms_by_role: byRole,
    cpu_ms_total: round((sum(Object.values(row.cpu_s)) * 1000) / runs, 3),
    nats_msgs_in: x.nats ? per(x.nats.in_msgs, runs) : null,
    nats_msgs_out: x.nats ? per(x.nats.out_msgs, runs) : null,
    nats_route_msgs: x.nats?.route_msgs === undefined ? null : per(x.nats.route_msgs, runs),
    jetstream_stores: stores ? Object.fromEntries(Object.entries(stores).map(([k, v]) => [k, per(v, runs)])) : null,
    jetstream_stores_total: stores ? per(sum(Object.values(stores)), runs) : null,
    sql_statements: per(x.sql.statements, runs),
    sql_commits: per(x.sql.commits, runs),
    redis_commands: x.redis_commands === null ? null : per(x.redis_commands, runs),
    errors: errors ? Object.fromEntries(Object.entries(errors).map(([k, v]) => [k, per(v, runs)])) : null,
    errors_total: errors ? per(sum(Object.values(errors)), runs) : null,
  };
}

/** The median of each figure over a workload's runs. */
export function medianCost(costs: ReadonlyArray<CostPerRun | null>): CostPerRun | null {
  const all = costs.filter((c): c is CostPerRun => c !== null);
  if (all.length === 0) return null;
  const med = (pick: (c: CostPerRun) => number) => round(median(all.map(pick)), 3);
  const medOrNull = (pick: (c: CostPerRun) => number | null) => (all.every((c) => pick(c) !== null) ? med((c) => pick(c) as number) : null);
  const medMap = (pick: (c: CostPerRun) => Record<string, number> | null) => {
    const first = pick(all[0]!);
    if (!first) return null;
    const keys = new Set(all.flatMap((c) => Object.keys(pick(c) ?? {})));
    return Object.fromEntries([...keys].map((k) => [k, med((c) => pick(c)?.[k] ?? 0)]));
  };
  return {
    cpu_ms: medMap((c) => c.cpu_ms) ?? {},
    cpu_ms_by_role: medMap((c) => c.cpu_ms_by_role) as CostPerRun['cpu_ms_by_role'],
    cpu_ms_total: med((c) => c.cpu_ms_total),
    nats_msgs_in: medOrNull((c) => c.nats_msgs_in),
    nats_msgs_out: medOrNull((c) => c.nats_msgs_out),
    nats_route_msgs: medOrNull((c) => c.nats_route_msgs),
    jetstream_stores: medMap((c) => c.jetstream_stores),
    jetstream_stores_total: medOrNull((c) => c.jetstream_stores_total),
    sql_statements: med((c) => c.sql_statements),
    sql_commits: med((c) => c.sql_commits),
    redis_commands: medOrNull((c) => c.redis_commands),
    errors: medMap((c) => c.errors),
    errors_total: medOrNull((c) => c.errors_total),
  };
}

const fmt = (v: number | null, d = 2) => (v === null ? '—' : v.toFixed(d));

/** The markdown table of cost per executed run, one row per system and workload. */
export function renderCostTable(
  rows: ReadonlyArray<{ system: string; workload: string; cost: CostPerRun | null; ledger_batches: Histogram | null }>,
): string[] {
  const withCost = rows.filter((r) => r.cost !== null);
  if (withCost.length === 0) return [];
  const lines = [
    '**Cost per executed run** (medians over the runs; CPU in ms of every process taking part, counters from the servers):',
    '',
    '| system | workload | CPU ms total | services | nats-server | postgres | redis | fake Graph | producers | NATS msgs in / out | JetStream stores | SQL statements / commits | Redis commands | Errors |',
    '|---|---|---:|---|---:|---:|---:|---:|---:|---|---|---|---:|---|',
  ];
  for (const { system, workload, cost } of withCost) {
    const c = cost!;
    const services = Object.entries(c.cpu_ms)
      .filter(([p]) => roleOf(p) === 'services')
      .map(([p, v]) => `${p} ${v.toFixed(2)}`)
      .join(', ');
    const stores = c.jetstream_stores
      ? `${fmt(c.jetstream_stores_total)} (${Object.entries(c.jetstream_stores)
          .map(([k, v]) => `${k} ${v.toFixed(2)}`)
          .join(', ')})`
      : '—';
    const errors = c.errors
      ? `${fmt(c.errors_total)} (${Object.entries(c.errors)
          .map(([k, v]) => `${k} ${v.toFixed(2)}`)
          .join(', ')})`
      : '—';
    const routes = c.nats_route_msgs ? ` (+ ${fmt(c.nats_route_msgs)} between nodes)` : '';
    const r = c.cpu_ms_by_role;
    lines.push(
      `| ${system} | ${workload} | ${c.cpu_ms_total.toFixed(2)} | ${r.services.toFixed(2)} (${services}) | ${fmt(r['nats-server'])} | ${fmt(r.postgres)} | ${fmt(r.redis)} | ${fmt(r['fake-graph'])} | ${fmt(r.producers)} | ${fmt(c.nats_msgs_in)} / ${fmt(c.nats_msgs_out)}${routes} | ${stores} | ${fmt(c.sql_statements)} / ${fmt(c.sql_commits)} | ${fmt(c.redis_commands)} | ${errors} |`,
    );
  }
  for (const { system, workload, ledger_batches: h } of withCost) {
    if (!h || h.count === 0) continue;
    const buckets = Object.entries(h.buckets)
      .filter(([, n]) => n > 0)
      .map(([le, n]) => `≤${le}: ${n}`)
      .join(', ');
    lines.push(
      '',
      `Ledger event batches (${system} ${workload}, all runs): ${h.count} batches of ${h.sum} events, mean ${(h.sum / h.count).toFixed(2)}; by size ${buckets}`,
    );
  }
  return lines;
}
