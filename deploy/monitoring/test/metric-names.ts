import { createNames } from '@ops/contracts';
import { createRegistry } from '../../../libs/runtime/src/metrics.ts';
import { createWorkerMetrics } from '../../../services/assignment-worker/src/metrics.ts';
import { createConsoleMetrics } from '../../../services/console/src/metrics.ts';
import { registerBusMetrics } from '../../../services/housekeeping/src/bus-metrics.ts';
import { createHousekeepingMetrics } from '../../../services/housekeeping/src/metrics.ts';
import { createLedgerMetrics } from '../../../services/ledger-service/src/metrics.ts';

/**
 * The names a rule or a panel may use: what the four services' registries
 * export (built as the services build them, without connecting anywhere),
 * Node's default metrics, and Prometheus' own `up`. A histogram is
 * queried through its `_bucket`, `_sum` and `_count` series.
 */
export async function exportedMetricNames(): Promise<Set<string>> {
  const ledger = createRegistry('ledger-service');
  createLedgerMetrics(ledger);
  const worker = createRegistry('assignment-worker');
  createWorkerMetrics(worker);
  const housekeeping = createRegistry('housekeeping');
  createHousekeepingMetrics(housekeeping);
  // the gauges read JetStream on scrape; here a fixed reading stands in for NATS
  registerBusMetrics(housekeeping, {
    names: createNames(''),
    read: async () => ({ jobsBacklog: 0, oldestJobSeconds: 0, ledgerLag: 0, deadLetters: {} }),
  });
  const console = createRegistry('console');
  createConsoleMetrics(console, { open: () => 0 });
  const names = new Set<string>(['up']);
  for (const registry of [ledger, worker, housekeeping, console]) {
    for (const metric of await registry.getMetricsAsJSON()) {
      // prom-client's types say a numeric enum; at runtime it is the name ('histogram', …)
      const type = String(metric.type);
      if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(`${metric.name}${s}`);
      else if (type === 'summary') for (const s of ['', '_sum', '_count']) names.add(`${metric.name}${s}`);
      else names.add(metric.name);
    }
  }
  return names;
}

/** PromQL's functions, aggregations and keywords (Prometheus 2.42): identifiers that are not metric names. */
const PROMQL_WORDS = new Set(
  [
    'abs absent absent_over_time acos acosh asin asinh atan atanh avg_over_time ceil changes clamp clamp_max clamp_min',
    'cos cosh count_over_time day_of_month day_of_week day_of_year days_in_month deg delta deriv exp floor',
    'histogram_quantile holt_winters hour idelta increase irate label_join label_replace last_over_time ln log10 log2',
    'max_over_time min_over_time minute month pi predict_linear present_over_time quantile_over_time rad rate resets',
    'round scalar sgn sin sinh sort sort_desc sqrt stddev_over_time stdvar_over_time sum_over_time tan tanh time',
    'timestamp vector year',
    'sum min max avg group stddev stdvar count count_values bottomk topk quantile',
    'by without on ignoring group_left group_right and or unless bool offset atan2 inf nan',
  ]
    .join(' ')
    .split(' '),
);

/**
 * The metric names a PromQL expression reads. Not a parser: it blanks out
 * what cannot hold one — Grafana variables, strings, label matchers `{…}`,
 * ranges `[…]`, label lists after by/without/on/ignoring/group_*, offsets —
 * then keeps every identifier that is not a PromQL word or part of a number.
 */
export function promqlMetricNames(expr: string): string[] {
  const blanked = expr
    .replace(/\$\{[^}]*\}|\$\w+/g, ' ')
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\boffset\s+-?\w+/g, ' ');
  const found = new Set<string>();
  for (const [token] of blanked.matchAll(/(?<![\w.])[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    if (!PROMQL_WORDS.has(token.toLowerCase())) found.add(token);
  }
  return [...found];
}

/** `where: name` for every name an expression reads that no service exports. */
export function unknownMetrics(exprs: ReadonlyArray<{ where: string; expr: string }>, known: ReadonlySet<string>): string[] {
  return exprs.flatMap(({ where, expr }) =>
    promqlMetricNames(expr)
      .filter((n) => !known.has(n))
      .map((n) => `${where}: ${n}`),
  );
}
