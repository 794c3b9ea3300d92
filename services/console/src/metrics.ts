import { Counter, Gauge, type Registry, registerBuildInfo } from '@ops/runtime';

export type ActionName = 'dispatch' | 'cancel' | 'rerun' | 'redrive' | 'purge' | 'release';
/** ok: the ledger did it; refused: the request or the ledger said no (4xx); failed: the ledger did not answer or broke (5xx) */
export type ActionOutcome = 'ok' | 'refused' | 'failed';
/** cross_site: a login POST from another origin; throttled: too many wrong tokens from that peer lately */
export type SignInOutcome = 'ok' | 'wrong_token' | 'throttled' | 'cross_site';

/**
 * The console's Prometheus metrics (prefixed ops_console_), and
 * ops_build_info. Labels are closed sets: an unknown path or action is never
 * a label value, so a scanner cannot grow the series.
 */
export function createConsoleMetrics(registry: Registry, live: { open(): number }) {
  registerBuildInfo(registry, new URL('../package.json', import.meta.url));
  new Gauge({
    name: 'ops_console_live_views',
    help: 'live views (Server-Sent Events streams) open now',
    registers: [registry],
    collect() {
      this.set(live.open());
    },
  });
  const actions = new Counter({
    name: 'ops_console_actions_total',
    help: 'actions taken through the console by action and outcome: ok, refused (4xx), failed (5xx)',
    labelNames: ['action', 'outcome'] as const,
    registers: [registry],
  });
  const signIns = new Counter({
    name: 'ops_console_sign_ins_total',
    help: 'token sign-ins by outcome: ok, wrong_token, throttled, cross_site',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const csrf = new Counter({
    name: 'ops_console_csrf_refusals_total',
    help: 'POSTs of a signed-in principal refused for a missing or wrong CSRF token or a foreign origin',
    registers: [registry],
  });
  return {
    action: (action: ActionName, outcome: ActionOutcome) => actions.inc({ action, outcome }),
    signIn: (outcome: SignInOutcome) => signIns.inc({ outcome }),
    csrfRefused: () => csrf.inc(),
  };
}
export type ConsoleMetrics = ReturnType<typeof createConsoleMetrics>;
