import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '@ops/test-support';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { exportedMetricNames, promqlMetricNames, unknownMetrics } from './metric-names.ts';

/**
 * deploy/monitoring against the code: promtool accepts the rules and their
 * unit cases, and every metric a rule or a dashboard panel reads is one a
 * service exports — a renamed metric fails here, not silently in production.
 */
const run = promisify(execFile);
const ALERTS = join(ROOT, 'deploy/monitoring/alerts.yaml');
const CASES = join(ROOT, 'deploy/monitoring/test/alert-cases.yaml');

interface Rules {
  groups: Array<{ name: string; rules: Array<{ alert?: string; record?: string; expr: string }> }>;
}
interface Panel {
  title: string;
  datasource?: { uid?: string };
  targets?: Array<{ expr?: string; datasource?: { uid?: string } }>;
}
interface Dashboard {
  templating: { list: Array<{ name: string; type: string; query?: string }> };
  panels: Panel[];
}

const readRules = async () => parse(await readFile(ALERTS, 'utf8')) as Rules;
const readDashboard = async () => JSON.parse(await readFile(join(ROOT, 'deploy/monitoring/dashboard.json'), 'utf8')) as Dashboard;

describe('promtool', () => {
  let promtool: string;
  beforeAll(async () => {
    // promtool ships in Debian's prometheus package (bookworm: 2.42), a Go binary: the .deb is
    // fetched, verified and unpacked under .tools/ (not installed), and reused for 7 days
    const { stdout } = await run('bash', [join(ROOT, '.ci/debian-fetch.sh'), 'bookworm', 'prometheus'], { cwd: ROOT });
    promtool = join(stdout.trim(), 'usr/bin/promtool');
  }, 600_000);

  it('check rules: alerts.yaml parses and is valid', async () => {
    const { stdout } = await run(promtool, ['check', 'rules', ALERTS]);
    expect(stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('test rules: the alerts fire on the cases in alert-cases.yaml, and only there', async () => {
    const { stdout } = await run(promtool, ['test', 'rules', CASES], { cwd: join(ROOT, 'deploy/monitoring/test') });
    expect(stdout).toContain('SUCCESS');
  });

  it('a broken expression is refused (the check is not vacuous)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ops-rules-'));
    const file = join(dir, 'broken.yaml');
    await writeFile(file, 'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: sum(rate(x[5m]) > 0\n');
    const failed = await run(promtool, ['check', 'rules', file]).then(
      () => null,
      (err: { stdout: string; stderr: string }) => err.stdout + err.stderr,
    );
    await rm(dir, { recursive: true });
    expect(failed).toMatch(/parse error/);
  });
});

describe('every metric the rules and the dashboard read is exported', () => {
  let known: Set<string>;
  beforeAll(async () => {
    known = await exportedMetricNames();
  });

  it('the exported names hold the new metrics (and histograms as their series)', () => {
    for (const name of [
      'ops_build_info',
      'ops_jobs_backlog_messages',
      'ops_jobs_oldest_queued_seconds',
      'ops_ledger_events_lag_messages',
      'ops_dlq_messages',
      'ops_bus_read_ok',
      'ops_ledger_run_queue_wait_seconds_bucket',
      'ops_ledger_run_duration_seconds_count',
      'ops_ledger_runs_completed_total',
      'ops_ledger_run_failures_total',
      'ops_console_sign_ins_total',
      'ops_console_actions_total',
      'process_cpu_seconds_total',
      'up',
    ]) {
      expect(known, name).toContain(name);
    }
    expect(known).not.toContain('ops_ledger_run_queue_wait_seconds');
  });

  it('alerts.yaml', async () => {
    const exprs = (await readRules()).groups.flatMap((g) =>
      g.rules.map((r) => ({ where: `${g.name}/${r.alert ?? r.record}`, expr: r.expr })),
    );
    expect(exprs.length).toBeGreaterThan(5);
    expect(unknownMetrics(exprs, known)).toEqual([]);
  });

  it('dashboard.json: every panel reads known metrics through the datasource variable', async () => {
    const dashboard = await readDashboard();
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }),
    );
    const queried = dashboard.panels.filter((p) => p.targets);
    expect(queried.length).toBeGreaterThan(5);
    const exprs = queried.flatMap((p) => p.targets!.map((t) => ({ where: p.title, expr: t.expr ?? '' })));
    expect(exprs.every((e) => e.expr !== '')).toBe(true);
    expect(unknownMetrics(exprs, known)).toEqual([]);
    const sources = queried.flatMap((p) => [p.datasource?.uid, ...p.targets!.map((t) => t.datasource?.uid)]);
    // Grafana's variable syntax, not a template literal
    const variable = '$' + '{datasource}';
    expect(new Set(sources)).toEqual(new Set([variable]));
  });

  it('the checker names what is unknown (self-check)', () => {
    expect(unknownMetrics([{ where: 'typo', expr: 'sum(rate(ops_ledger_runs_completd_total[5m])) > 0' }], known)).toEqual([
      'typo: ops_ledger_runs_completd_total',
    ]);
    // a histogram is read through its series, never by its bare name
    expect(unknownMetrics([{ where: 'bare', expr: 'rate(ops_ledger_run_duration_seconds[5m])' }], known)).toEqual([
      'bare: ops_ledger_run_duration_seconds',
    ]);
  });

  it('the extraction skips functions, labels, strings, ranges, numbers and Grafana variables', () => {
    expect(
      promqlMetricNames(
        'histogram_quantile(0.95, sum by (type, le) (rate(a_bucket{code=~"x|y", le!="+Inf"}[$__rate_interval] offset 1h)))' +
          ' / ignoring (code) group_left sum without (instance) (b_total) > 1e3 and on() absent(c{service="up"}) or vector(0)',
      ).sort(),
    ).toEqual(['a_bucket', 'b_total', 'c']);
  });
});
