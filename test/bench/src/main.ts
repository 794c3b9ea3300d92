import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { startPgServer } from '@ops/test-support';
import { startBenchNats } from './nats.ts';
import { profileFiles, renderSummary, summarizeFile } from './profile.ts';
import { aggregate, type OpenLoop, ratios, renderMarkdown, targets } from './render.ts';
import { adminQuery, dropDb, log, prepareTemplate, REDIS_BINARY } from './stack.ts';
import { type BenchContext, type RunResult, runBullmq, runOpenLoop, runOps, runPgBoss } from './systems.ts';
import { SYSTEMS, type SystemName, type WorkloadName, workloadSpec } from './workload.ts';

/**
 * pnpm bench [--quick] [--json] [--runs N] [--systems ops,pg-boss,bullmq]
 *            [--workloads W1,W2] [--no-open-loop] [--cluster] [--service-env KEY=VALUE]…
 *            [--save <file.json>] [--profile <dir> [--profile-only]]
 *
 * Everything in one invocation: a template database seeded by the project's
 * seed job; per run a fresh clone of it, fresh NATS prefix / queue / Redis,
 * and freshly started processes (so peak RSS and CPU are per run). Runs are
 * interleaved (rep → workload → system) so machine noise hits every system.
 * stdout: the markdown table, or with --json exactly one JSON document.
 * Everything else goes to stderr; --save also writes the JSON document to a
 * file. --cluster: ops on a 3-node NATS cluster (R3, 2 ledger-service
 * replicas; needs root), everything else unchanged (nats.ts). See
 * docs/performance.md.
 */
const USAGE =
  'usage: pnpm bench [--quick] [--json] [--runs N] [--systems ops,pg-boss,bullmq] [--workloads W1,W2] [--no-open-loop] [--cluster] [--service-env KEY=VALUE]… [--save <file.json>] [--profile <dir> [--profile-only]]';

function parseArgs(argv: string[]) {
  const o = {
    quick: false,
    json: false,
    runs: 0,
    systems: [...SYSTEMS] as SystemName[],
    workloads: ['W1', 'W2'] as WorkloadName[],
    openLoop: true,
    cluster: false,
    profile: undefined as string | undefined,
    profileOnly: false,
    serviceEnv: {} as Record<string, string>,
    save: undefined as string | undefined,
  };
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--json') o.json = true;
    else if (a === '--runs') o.runs = Number(value());
    else if (a === '--systems') o.systems = value().split(',') as SystemName[];
    else if (a === '--workloads') o.workloads = value().split(',') as WorkloadName[];
    else if (a === '--no-open-loop') o.openLoop = false;
    else if (a === '--cluster') o.cluster = true;
    else if (a === '--profile') o.profile = resolve(value());
    else if (a === '--profile-only') o.profileOnly = true;
    else if (a === '--save') o.save = resolve(value());
    else if (a === '--service-env') {
      const [k, ...v] = value().split('=');
      if (!k || v.length === 0) throw new Error('--service-env KEY=VALUE');
      o.serviceEnv[k] = v.join('=');
    } else if (a === '--help' || a === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (!o.systems.every((s) => SYSTEMS.includes(s))) throw new Error(`--systems: one of ${SYSTEMS.join(', ')}`);
  if (!o.workloads.every((w) => w === 'W1' || w === 'W2')) throw new Error('--workloads: W1 and/or W2');
  if (o.profileOnly && !o.profile) throw new Error('--profile-only needs --profile <dir>');
  return o;
}

let opts: ReturnType<typeof parseArgs>;
try {
  opts = parseArgs(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`bench: ${(err as Error).message}\n${USAGE}\n`);
  process.exit(2);
}

// full: 10,000 runs, 3 repetitions; quick: 1,000 runs, 3 repetitions
const RUNS = opts.quick ? 1_000 : 10_000;
const REPS = opts.runs > 0 ? opts.runs : 3;
const OPEN_LOOP = { rate: 500, seconds: opts.quick ? 4 : 10 };
// Both servers are the bench's own, so that their CPU and their counters are this bench's alone
// (docs/performance.md): the project's nats-server (2.10, as deployed) with its monitoring port
// (with --cluster three of them), and a PostgreSQL cluster with the machine's durability settings
// plus pg_stat_statements.
const ownNats = await startBenchNats(opts.cluster);
const ownPg = await startPgServer({
  settings: { fsync: 'on', full_page_writes: 'on', synchronous_commit: 'on', shared_preload_libraries: 'pg_stat_statements' },
});
const adminUrl = ownPg.url();
await adminQuery(adminUrl, 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
const errorsDir = await mkdtemp(join(tmpdir(), 'ops-bench-errors-'));
const template = 'ops_bench_tpl';

// enough policies for W1 and for the open-loop phase: one policy per identity
const policiesNeeded = Math.max(RUNS, OPEN_LOOP.rate * OPEN_LOOP.seconds);
const perTenant = 100;
const tenants = Math.ceil(policiesNeeded / perTenant);

async function machine(): Promise<Record<string, unknown>> {
  const pgVersion =
    (await adminQuery<{ v: string }>(adminUrl, "SELECT current_setting('server_version') AS v").catch(() => [{ v: '?' }]))[0]?.v ?? '?';
  const nc = await connect({ servers: ownNats.urls });
  const natsVersion = nc.info?.version ?? '?';
  await nc.close();
  let redis = '?';
  try {
    redis = /v=([\d.]+)/.exec(execFileSync(REDIS_BINARY, ['--version'], { encoding: 'utf8' }))?.[1] ?? '?';
  } catch {
    // reported as ?
  }
  const c = cpus();
  return {
    mode: `${opts.quick ? 'quick' : 'full'} (${RUNS} runs per workload)${Object.keys(opts.serviceEnv).length > 0 ? `, service env ${JSON.stringify(opts.serviceEnv)}` : ''}`,
    ops_on: ownNats.description,
    nats_nodes: ownNats.pids.length,
    repetitions: REPS,
    cpus: c.length,
    cpu_model: c[0]?.model ?? '?',
    memory_gb: Math.round(totalmem() / 2 ** 30),
    node: process.versions.node,
    postgres: `PostgreSQL ${pgVersion}`,
    nats: natsVersion,
    redis,
    loadavg_before: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

const started = Date.now();
const m = await machine();
log(`machine: ${JSON.stringify(m)}`);
log(`preparing template database ${template}: ${tenants} tenants × ${perTenant} policies (the project's seed job)`);
const tenancy = await prepareTemplate(adminUrl, template, tenants, perTenant);
const ctx: BenchContext = {
  adminUrl,
  nats: ownNats,
  servers: { pgPid: ownPg.pid()! },
  errorsDir,
  template,
  tenancy,
  logLevel: process.env['BENCH_LOG_LEVEL'] ?? 'info',
  stallMs: 120_000,
  serviceEnv: opts.serviceEnv,
};

const results: RunResult[] = [];
let open: OpenLoop | null = null;
let exitCode = 0;
try {
  if (!opts.profileOnly) {
    for (let rep = 1; rep <= REPS; rep += 1) {
      for (const w of opts.workloads) {
        const spec = workloadSpec(w, RUNS);
        for (const system of opts.systems) {
          log(`run ${rep}/${REPS}: ${system} ${w} (${spec.dispatches} dispatches over ${spec.identities} identities)`);
          const r =
            system === 'ops'
              ? await runOps(ctx, spec, rep)
              : system === 'pg-boss'
                ? await runPgBoss(ctx, spec, rep)
                : await runBullmq(ctx, spec, rep);
          log(
            `  → dispatch ${r.dispatch_per_sec}/s, e2e ${r.e2e_per_sec}/s, p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms, max ${r.max_ms} ms, executed ${r.executed}${r.ledger_check ? `, ledger ${JSON.stringify(r.ledger_check)}, retried runs ${r.retried_runs}` : ''}`,
          );
          results.push(r);
        }
      }
    }
    if (opts.openLoop && opts.systems.includes('ops')) {
      log(`open loop: ops at ${OPEN_LOOP.rate} dispatches/s for ${OPEN_LOOP.seconds} s`);
      open = await runOpenLoop(ctx, OPEN_LOOP.rate, OPEN_LOOP.seconds);
      log(`  → ${JSON.stringify(open)}`);
    }
  }
  if (opts.profile) {
    await mkdir(opts.profile, { recursive: true });
    log(`profile: ops W1 once more with node --cpu-prof into ${opts.profile}/<service>/`);
    const r = await runOps(ctx, workloadSpec('W1', RUNS), 0, opts.profile);
    log(`  → (under the profiler) dispatch ${r.dispatch_per_sec}/s, e2e ${r.e2e_per_sec}/s`);
    const parts: string[] = [
      `# CPU profiles of ops W1 (${RUNS} runs; under the profiler: dispatch ${r.dispatch_per_sec}/s, e2e ${r.e2e_per_sec}/s)`,
      '',
    ];
    for (const f of await profileFiles([opts.profile]))
      parts.push(renderSummary(f.slice(opts.profile.length + 1), await summarizeFile(f, 12), 12), '');
    await writeFile(join(opts.profile, 'summary.md'), parts.join('\n'));
    log(`profile summary: ${join(opts.profile, 'summary.md')}`);
  }
} catch (err) {
  log(`FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  exitCode = 1;
} finally {
  await dropDb(adminUrl, template).catch(() => undefined);
  await ownNats.stop();
  await ownPg.stop();
  await rm(errorsDir, { recursive: true, force: true });
}

m['loadavg_after'] = loadavg().map((l) => Math.round(l * 100) / 100);
m['duration_s'] = Math.round((Date.now() - started) / 1000);
const aggs = aggregate(results);
const rat = ratios(aggs);
const tg = targets(aggs, rat, open, { W1: RUNS, W2: RUNS / 4 });
const doc = { machine: m, results, aggregates: aggs, ratios: rat, open_loop: open, targets: tg };
if (opts.save) await writeFile(opts.save, `${JSON.stringify(doc, null, 2)}\n`);
if (opts.json) {
  process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
} else if (results.length > 0 || open) {
  process.stdout.write(renderMarkdown({ machine: m, aggregates: aggs, ratios: rat, open_loop: open, targets: tg }));
}
process.exit(exitCode);
