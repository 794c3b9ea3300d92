import { existsSync, readFileSync, rmSync } from 'node:fs';
import type { JetStreamManager } from '@nats-io/jetstream';
import { sleep } from '@ops/test-support';
import { adminQuery } from './stack.ts';

/**
 * What a run exchanged, counted by the servers themselves, as deltas between
 * the start and the end of a workload (docs/performance.md, "Cost per run"):
 * NATS messages (`/varz` of the bench's own nats-server, or of each node of
 * its cluster, less route traffic: `readNatsMessages`), JetStream stores
 * (each stream's `last_seq`, the KV bucket's stream included), SQL statements
 * (`pg_stat_statements`, BEGIN/COMMIT included) and commits
 * (`pg_stat_database.xact_commit`) of the run's database, Redis commands
 * (`INFO commandstats`), `Error` constructions (count-errors.ts) and the
 * ledger's event batch sizes (its `ops_ledger_event_batch_size` histogram,
 * every ledger-service replica's together).
 */

export interface NatsMessages {
  /** messages clients published to the server(s) */
  in_msgs: number;
  /** messages the server(s) delivered to clients */
  out_msgs: number;
  /** on a cluster: messages between nodes (replication, forwarding); 0 on one server; absent in older documents */
  route_msgs?: number;
}

async function monitor<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return (await res.json()) as T;
}

/**
 * Σ over the nodes of `/varz` in/out, less what each node got and sent over
 * its routes (`/routez`): varz counts a routed message again on every node it
 * crosses, so without this a cluster's figure would not compare with one
 * server's. The route messages are kept apart (received ones: each is sent once).
 */
export async function readNatsMessages(monitorUrls: readonly string[]): Promise<Required<NatsMessages>> {
  const out: Required<NatsMessages> = { in_msgs: 0, out_msgs: 0, route_msgs: 0 };
  for (const url of monitorUrls) {
    const v = await monitor<{ in_msgs: number; out_msgs: number }>(`${url}/varz`);
    const r = await monitor<{ routes?: Array<{ in_msgs: number; out_msgs: number }> | null }>(`${url}/routez`);
    const routeIn = (r.routes ?? []).reduce((n, route) => n + route.in_msgs, 0);
    const routeOut = (r.routes ?? []).reduce((n, route) => n + route.out_msgs, 0);
    out.in_msgs += v.in_msgs - routeIn;
    out.out_msgs += v.out_msgs - routeOut;
    out.route_msgs += routeIn;
  }
  return out;
}

/** each stream's last sequence (a store is one sequence); a stream that does not exist yet counts 0 */
export async function readStreamSeqs(jsm: JetStreamManager, streams: readonly string[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const s of streams) {
    out[s] = await jsm.streams
      .info(s)
      .then((i) => i.state.last_seq)
      .catch(() => 0);
  }
  return out;
}

export interface SqlCounters {
  /** pg_stat_statements calls in the database (BEGIN/COMMIT included) */
  statements: number;
  commits: number;
}

/** the cluster-wide statement counters start again (one system runs at a time on the bench's own cluster) */
export async function resetStatements(adminUrl: string): Promise<void> {
  await adminQuery(adminUrl, 'SELECT pg_stat_statements_reset()');
}

export async function readSql(adminUrl: string, db: string): Promise<SqlCounters> {
  const [row] = await adminQuery<{ statements: string | null; commits: string | null }>(
    adminUrl,
    `SELECT (SELECT sum(calls) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = $1) AS statements,
            (SELECT xact_commit FROM pg_stat_database WHERE datname = $1) AS commits`,
    [db],
  );
  if (process.env['BENCH_SQL_TOP']) await printTopStatements(adminUrl, db);
  return { statements: Number(row?.statements ?? 0), commits: Number(row?.commits ?? 0) };
}

/** BENCH_SQL_TOP=1: which statements the counters are made of (stderr), to find where a run path's statements come from */
async function printTopStatements(adminUrl: string, db: string): Promise<void> {
  const rows = await adminQuery<{ calls: string; query: string }>(
    adminUrl,
    `SELECT calls, left(regexp_replace(query, '\\s+', ' ', 'g'), 110) AS query FROM pg_stat_statements s
       JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = $1 ORDER BY calls DESC LIMIT 15`,
    [db],
  );
  process.stderr.write(`pg_stat_statements of ${db}:\n${rows.map((r) => `${r.calls.padStart(8)}  ${r.query}`).join('\n')}\n`);
}

/** Σ calls of `INFO commandstats`, without the bench's own INFO/CONFIG */
export function parseCommandstats(info: string): number {
  let total = 0;
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    // Redis 7 names subcommands `config|resetstat`
    const command = m[1]!.split('|')[0];
    if (command === 'info' || command === 'config') continue;
    total += Number(m[2]);
  }
  return total;
}

/** A Prometheus histogram as the text format has it: cumulative bucket counts (`le` → count), sum and count. */
export interface Histogram {
  buckets: Record<string, number>;
  sum: number;
  count: number;
}

export function parseHistogram(text: string, name: string): Histogram {
  const buckets: Record<string, number> = {};
  const re = new RegExp(`^${name}_bucket\\{(?:[^}]*,)?le="([^"]+)"[^}]*\\}\\s+([0-9.e+]+)`, 'gm');
  for (const m of text.matchAll(re)) buckets[m[1]!] = (buckets[m[1]!] ?? 0) + Number(m[2]);
  const single = (suffix: string) => Number(new RegExp(`^${name}_${suffix}(?:\\{[^}]*\\})?\\s+([0-9.e+]+)`, 'm').exec(text)?.[1] ?? 0);
  return { buckets, sum: single('sum'), count: single('count') };
}

/** Several histograms (ledger replicas, or runs) added bucket by bucket. */
export function mergeHistograms(hs: ReadonlyArray<Histogram | null | undefined>): Histogram | null {
  const present = hs.filter((h): h is Histogram => !!h);
  if (present.length === 0) return null;
  const buckets: Record<string, number> = {};
  for (const h of present) for (const [le, n] of Object.entries(h.buckets)) buckets[le] = (buckets[le] ?? 0) + n;
  return { buckets, sum: present.reduce((n, h) => n + h.sum, 0), count: present.reduce((n, h) => n + h.count, 0) };
}

/** Between two snapshots: per-bucket (not cumulative) counts — `le` → observations in (previous le, le] — and the sum and count. */
export function histogramDelta(before: Histogram, after: Histogram): Histogram {
  const les = Object.keys(after.buckets).sort((a, b) => (a === '+Inf' ? 1 : b === '+Inf' ? -1 : Number(a) - Number(b)));
  const buckets: Record<string, number> = {};
  let previous = 0;
  for (const le of les) {
    const cumulative = (after.buckets[le] ?? 0) - (before.buckets[le] ?? 0);
    buckets[le] = cumulative - previous;
    previous = cumulative;
  }
  return { buckets, sum: after.sum - before.sum, count: after.count - before.count };
}

/** The `Error` count of a process started with count-errors.ts: it writes the count on SIGUSR2. */
export async function readErrorCount(pid: number, file: string): Promise<number | null> {
  rmSync(file, { force: true });
  try {
    process.kill(pid, 'SIGUSR2');
  } catch {
    return null; // gone
  }
  for (let i = 0; i < 100; i += 1) {
    if (existsSync(file)) {
      const text = readFileSync(file, 'utf8');
      if (text !== '') return Number(text);
    }
    await sleep(20);
  }
  return null;
}

/** a / runs with two decimals (per executed run) */
export function perRun(total: number, runs: number): number {
  return runs > 0 ? Math.round((total / runs) * 100) / 100 : Number.NaN;
}

/** key-wise after − before */
export function deltas(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) out[k] = v - (before[k] ?? 0);
  return out;
}

/** The exchanges of one run (totals over the workload; the bench's own SQL subtracted). */
export interface Exchanges {
  /** NATS messages into / out of the server (null: the system does not use NATS) */
  nats: NatsMessages | null;
  /** stores per stream: jobs, ledger, dlq, kv (null: no JetStream) */
  jetstream_stores: Record<string, number> | null;
  sql: SqlCounters;
  redis_commands: number | null;
  /** Error objects constructed, per process (null: not counted) */
  errors: Record<string, number> | null;
  /** ledger event batches: per size bucket (`le` → batches), events (sum) and batches (count); null for the peers */
  ledger_batch_sizes: Histogram | null;
}

export interface MeterTargets {
  readonly adminUrl: string;
  readonly db: string;
  readonly nats?: { readonly monitorUrls: readonly string[]; readonly jsm: JetStreamManager; readonly streams: Record<string, string> };
  /** every ledger-service replica's /metrics */
  readonly ledgerMetricsUrls?: readonly string[];
  /** `INFO commandstats` / `CONFIG RESETSTAT` of the system's Redis */
  readonly redis?: { info(): Promise<string>; resetStats(): Promise<void> };
  /** processes started with count-errors.ts, and the file each writes its count to */
  readonly errorCounters: ReadonlyArray<{ readonly name: string; readonly pid: number; readonly file: string }>;
}

async function scrape(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return res.text();
}

const BATCH_HISTOGRAM = 'ops_ledger_event_batch_size';

async function readBatches(urls: readonly string[] | undefined): Promise<Histogram | null> {
  if (!urls || urls.length === 0) return null;
  return mergeHistograms(await Promise.all(urls.map(async (u) => parseHistogram(await scrape(u), BATCH_HISTOGRAM))));
}

async function readErrors(targets: MeterTargets): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const p of targets.errorCounters) {
    const n = await readErrorCount(p.pid, p.file);
    if (n !== null) out[p.name] = n;
  }
  return out;
}

/**
 * Counters at the start of a workload; `live()` reads the ones that need the
 * processes (call it when the workload drained, before they stop), `sql()`
 * the database's once every client of the system has disconnected — a
 * backend reports its commits when it goes idle or exits.
 */
export async function startMeter(targets: MeterTargets) {
  const errors0 = await readErrors(targets);
  await resetStatements(targets.adminUrl);
  const sql0 = await readSql(targets.adminUrl, targets.db);
  const streams = targets.nats ? Object.values(targets.nats.streams) : [];
  const seqs0 = targets.nats ? await readStreamSeqs(targets.nats.jsm, streams) : {};
  const varz0 = targets.nats ? await readNatsMessages(targets.nats.monitorUrls) : null;
  const batch0 = await readBatches(targets.ledgerMetricsUrls);
  await targets.redis?.resetStats();

  let live: Omit<Exchanges, 'sql'> | null = null;
  return {
    async live(): Promise<void> {
      const varz1 = targets.nats ? await readNatsMessages(targets.nats.monitorUrls) : null;
      const seqs1 = targets.nats ? await readStreamSeqs(targets.nats.jsm, streams) : {};
      const byStream = deltas(seqs0, seqs1);
      const named: Record<string, number> = {};
      for (const [key, stream] of Object.entries(targets.nats?.streams ?? {})) named[key] = byStream[stream] ?? 0;
      const batch1 = await readBatches(targets.ledgerMetricsUrls);
      const errors1 = await readErrors(targets);
      live = {
        nats:
          varz0 && varz1
            ? {
                in_msgs: varz1.in_msgs - varz0.in_msgs,
                out_msgs: varz1.out_msgs - varz0.out_msgs,
                route_msgs: varz1.route_msgs - varz0.route_msgs,
              }
            : null,
        jetstream_stores: targets.nats ? named : null,
        redis_commands: targets.redis ? parseCommandstats(await targets.redis.info()) : null,
        errors: targets.errorCounters.length > 0 ? deltas(errors0, errors1) : null,
        ledger_batch_sizes: batch0 && batch1 ? histogramDelta(batch0, batch1) : null,
      };
    },
    /** the whole document; `benchStatements`: the bench's own queries on the run's database (each one statement, one commit) */
    async finish(benchStatements: number): Promise<Exchanges> {
      if (!live) throw new Error('meter: live() was not read');
      const sql1 = await readSql(targets.adminUrl, targets.db);
      return {
        ...live,
        sql: {
          statements: sql1.statements - sql0.statements - benchStatements,
          commits: sql1.commits - sql0.commits - benchStatements,
        },
      };
    },
  };
}
