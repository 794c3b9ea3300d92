import type { AddressInfo } from 'node:net';
import type { Console } from '@ops/console/app';
import { useWorkerStack } from '@ops/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, consoleEnv, openEvents, signIn, startTestConsole, TIMEOUT, TOKEN } from './support.ts';

/**
 * The console over HTTP against a real ledger (NATS + PostgreSQL): auth,
 * CSRF, the actor of every action, reads, live views. No worker runs until
 * the last test, so dispatched runs stay queued until an action moves them.
 */
const h = useWorkerStack();
const consoles: Console[] = [];
let address: AddressInfo;
let lines: string[];
let session: { cookie: string; csrf: string; principal: string };
let ws: string;
const own = () => ({ host: `${address.address}:${address.port}`, origin: `http://${address.address}:${address.port}` });

beforeAll(async () => {
  const started = await startTestConsole(consoleEnv(h.names.prefix));
  consoles.push(started.console);
  address = started.console.address;
  lines = started.lines;
  ws = h.seed.workspace.id;
});

afterAll(async () => {
  for (const c of consoles) await c.close();
});

async function queuedRun(tenant: number): Promise<string> {
  const { run, disposition } = await h.dispatch('assignments.fetch', tenant);
  expect(disposition).toBe('created');
  return run.id;
}

describe('console: authentication', () => {
  it(
    'no credentials → 401 on /api/*, the app page redirects to the login; probes, the login page and its stylesheet are open',
    async () => {
      for (const path of ['/api/session', '/api/runs?workspace=x', '/api/locks', '/api/dlq', '/api/health', '/api/live?path=/api/locks']) {
        const r = await call(address, 'GET', path);
        expect(r.status, path).toBe(401);
        expect(r.json()).toMatchObject({ error: { code: 'unauthorized' } });
        expect(r.headers['cache-control']).toBe('no-store');
      }
      expect((await call(address, 'POST', '/api/dispatch', { body: {} })).status).toBe(401);
      const page = await call(address, 'GET', '/');
      expect(page.status).toBe(302);
      expect(page.headers.location).toBe('/login');
      expect((await call(address, 'GET', '/app.js')).status).toBe(401);
      for (const path of ['/healthz', '/readyz', '/login', '/login.html', '/app.css'])
        expect((await call(address, 'GET', path)).status, path).toBe(200);
    },
    TIMEOUT,
  );

  it(
    'every response carries the CSP and the other security headers',
    async () => {
      for (const path of ['/healthz', '/login', '/api/session', '/nope']) {
        const r = await call(address, 'GET', path);
        expect(r.headers['content-security-policy'], path).toContain("default-src 'self'; script-src 'self'");
        expect(r.headers['content-security-policy'], path).toContain("frame-ancestors 'none'");
        expect(r.headers['x-content-type-options']).toBe('nosniff');
        expect(r.headers['referrer-policy']).toBe('no-referrer');
      }
    },
    TIMEOUT,
  );

  it(
    'a wrong token → 401 (JSON and form); the right one → an HttpOnly SameSite=Strict cookie that opens /api/session',
    async () => {
      const wrong = await call(address, 'POST', '/login', { body: { token: 'not-the-token-at-all-0000000' } });
      expect(wrong.status).toBe(401);
      expect(wrong.json()).toMatchObject({ error: { code: 'unauthorized' } });
      expect(wrong.headers['set-cookie']).toBeUndefined();
      const form = await call(address, 'POST', '/login', {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'token=wrong',
      });
      expect(form.status).toBe(401);
      expect(form.text).toContain('data-testid="login-error"');
      const good = await call(address, 'POST', '/login', {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `token=${TOKEN}`,
      });
      expect(good.status).toBe(303);
      expect(good.headers.location).toBe('/');
      const cookie = [good.headers['set-cookie']].flat()[0]!;
      expect(cookie).toMatch(/^console_session=[^;]+; Path=\/; HttpOnly; SameSite=Strict/);
      session = await signIn(address);
      expect(session.principal).toBe('operator');
      expect(session.csrf).toMatch(/^[\w-]{20,}$/);
      expect((await call(address, 'GET', '/', { headers: { cookie: session.cookie } })).status).toBe(200);
      // a forged cookie is no session
      expect((await call(address, 'GET', '/api/session', { headers: { cookie: `${session.cookie.slice(0, -3)}abc` } })).status).toBe(401);
      // the token never reaches the log
      expect(lines.join('\n')).not.toContain(TOKEN);
    },
    TIMEOUT,
  );

  it(
    'sign-out ends the session (a CSRF-protected POST)',
    async () => {
      const other = await signIn(address);
      expect((await call(address, 'POST', '/logout', { headers: { cookie: other.cookie } })).status).toBe(403);
      const out = await call(address, 'POST', '/logout', { headers: { cookie: other.cookie, 'x-csrf-token': other.csrf } });
      expect(out.status).toBe(200);
      expect((await call(address, 'GET', '/api/session', { headers: { cookie: other.cookie } })).status).toBe(401);
    },
    TIMEOUT,
  );
});

describe('console: CSRF and the actor of actions', () => {
  let runId: string;

  it(
    'a cancel with the cookie but no x-csrf-token, or from a foreign Origin → 403 csrf, and the run is still queued',
    async () => {
      runId = await queuedRun(0);
      const body = { workspace: ws, reason: 'csrf probe' };
      const none = await call(address, 'POST', `/api/runs/${runId}/cancel`, { headers: { cookie: session.cookie }, body });
      expect(none.status).toBe(403);
      expect(none.json()).toMatchObject({ error: { code: 'csrf' } });
      const wrong = await call(address, 'POST', `/api/runs/${runId}/cancel`, {
        headers: { cookie: session.cookie, 'x-csrf-token': 'x' },
        body,
      });
      expect(wrong.status).toBe(403);
      const foreign = await call(address, 'POST', `/api/runs/${runId}/cancel`, {
        headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, origin: 'https://evil.example' },
        body,
      });
      expect(foreign.status).toBe(403);
      expect(foreign.json()).toMatchObject({ error: { code: 'csrf' } });
      // a browser says where a request comes from: another site is refused even with the token
      const crossSite = await call(address, 'POST', `/api/runs/${runId}/cancel`, {
        headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, 'sec-fetch-site': 'cross-site', origin: 'null' },
        body,
      });
      expect(crossSite.status).toBe(403);
      expect((await h.getRun(runId)).status).toBe('queued');
    },
    TIMEOUT,
  );

  it(
    'with the token from the same origin the cancel runs; its record names the principal, not the actor of the body',
    async () => {
      const r = await call(address, 'POST', `/api/runs/${runId}/cancel`, {
        headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, origin: own().origin, 'sec-fetch-site': 'same-origin' },
        body: { workspace: ws, reason: 'stop it', actor: 'mallory' },
      });
      expect(r.status).toBe(200);
      expect(r.json()).toMatchObject({ previous_status: 'queued', run: { outcome: 'cancelled' }, action: { actor: 'operator' } });
      const detail = (await call(address, 'GET', `/api/runs/${runId}?workspace=${ws}`, { headers: { cookie: session.cookie } })).json<{
        status: string;
        outcome: string;
        actions: Array<{ action: string; actor: string; reason: string }>;
        timeline: Array<{ kind: string }>;
      }>();
      expect(detail).toMatchObject({ status: 'completed', outcome: 'cancelled' });
      expect(detail.actions).toEqual([expect.objectContaining({ action: 'cancel', actor: 'operator', reason: 'stop it' })]);
      expect(detail.timeline.some((e) => e.kind === 'action')).toBe(true);
    },
    TIMEOUT,
  );

  it(
    'an action without a reason → 400, nothing asked of the ledger; a ledger refusal keeps its code (conflict 409, not_found 404)',
    async () => {
      const headers = { cookie: session.cookie, 'x-csrf-token': session.csrf };
      const noReason = await call(address, 'POST', `/api/runs/${runId}/cancel`, { headers, body: { workspace: ws } });
      expect(noReason.status).toBe(400);
      expect(noReason.json()).toMatchObject({ error: { code: 'bad_request' } });
      const again = await call(address, 'POST', `/api/runs/${runId}/cancel`, { headers, body: { workspace: ws, reason: 'twice' } });
      expect(again.status).toBe(409);
      expect(again.json()).toMatchObject({ error: { code: 'conflict' } });
      const elsewhere = await call(address, 'GET', `/api/runs/${runId}?workspace=${h.seed.workspace.id.replace(/.$/, '0')}`, { headers });
      expect([404, 400]).toContain(elsewhere.status);
    },
    TIMEOUT,
  );

  it(
    'a script with Authorization: Bearer needs no CSRF token; a wrong bearer is 401',
    async () => {
      const rerun = await call(address, 'POST', `/api/runs/${runId}/rerun`, {
        headers: { authorization: `Bearer ${TOKEN}` },
        body: { workspace: ws, reason: 'scripted rerun' },
      });
      expect(rerun.status).toBe(200);
      expect(rerun.json()).toMatchObject({
        disposition: 'created',
        rerun_of: runId,
        action: { actor: 'operator', reason: 'scripted rerun' },
      });
      const bad = await call(address, 'POST', `/api/runs/${runId}/rerun`, {
        headers: { authorization: 'Bearer nope' },
        body: { workspace: ws, reason: 'x' },
      });
      expect(bad.status).toBe(401);
    },
    TIMEOUT,
  );

  it(
    'dispatch: the initiator is the principal; an unknown type is 400',
    async () => {
      const headers = { cookie: session.cookie, 'x-csrf-token': session.csrf };
      const r = await call(address, 'POST', '/api/dispatch', {
        headers,
        body: { workspace: ws, tenant: h.seed.tenants[1]!.id, type: 'assignments.restore' },
      });
      expect(r.status).toBe(200);
      const answer = r.json<{ run_id: string; disposition: string; run: { initiator_name: string } }>();
      expect(answer).toMatchObject({ disposition: 'created', run: { initiator_name: 'operator' } });
      const bad = await call(address, 'POST', '/api/dispatch', {
        headers,
        body: { workspace: ws, tenant: h.seed.tenants[1]!.id, type: 'ops.reconcile_adapter_runs' },
      });
      expect(bad.status).toBe(400);
    },
    TIMEOUT,
  );
});

describe('console: reads', () => {
  it(
    'workspaces, runs with filters, locks, dead letters and health',
    async () => {
      const headers = { cookie: session.cookie };
      const workspaces = (await call(address, 'GET', '/api/workspaces', { headers })).json<{ workspaces: Array<{ id: string }> }>();
      expect(workspaces.workspaces.map((w) => w.id)).toContain(ws);
      const runs = (await call(address, 'GET', `/api/runs?workspace=${ws}&status=queued&limit=10`, { headers })).json<{
        runs: Array<{ status: string }>;
        next_cursor: string | null;
      }>();
      expect(runs.runs.length).toBeGreaterThan(0);
      expect(runs.runs.every((r) => r.status === 'queued')).toBe(true);
      const cancelled = (await call(address, 'GET', `/api/runs?workspace=${ws}&outcome=cancelled&since=2000-01-01`, { headers })).json<{
        runs: unknown[];
      }>();
      expect(cancelled.runs).toHaveLength(1);
      const bad = await call(address, 'GET', `/api/runs?workspace=${ws}&status=sleeping`, { headers });
      expect(bad.status).toBe(400);
      expect(bad.json()).toMatchObject({ error: { code: 'bad_request' } });
      expect((await call(address, 'GET', '/api/runs', { headers })).status).toBe(400);
      expect((await call(address, 'GET', '/api/locks', { headers })).json()).toHaveProperty('locks');
      expect((await call(address, 'GET', '/api/dlq?limit=5', { headers })).json()).toEqual({ messages: [] });
      expect((await call(address, 'GET', '/api/dlq?origin=mars', { headers })).status).toBe(400);
      expect((await call(address, 'GET', '/api/nothing', { headers })).status).toBe(404);
      // a live view only of an /api/ read
      expect((await call(address, 'GET', `/api/live?path=${encodeURIComponent('/healthz')}`, { headers })).status).toBe(400);
      const health = (await call(address, 'GET', '/api/health', { headers })).json<{
        services: Array<{ name: string; instances: Array<{ version: string; uptime_seconds: number }> }>;
        consumers: Array<{ consumer: string; ok: boolean }>;
        streams: Array<{ stream: string; ok: boolean; messages: number }>;
      }>();
      expect(health.services.find((s) => s.name === 'ledger')!.instances.length).toBeGreaterThanOrEqual(1);
      expect(health.consumers.find((c) => c.consumer === h.names.consumers.ledgerEvents)).toMatchObject({ ok: true });
      expect(health.streams.find((s) => s.stream === h.names.streams.jobs)).toMatchObject({ ok: true });
    },
    TIMEOUT,
  );

  it(
    'static files: no directory traversal, however it is spelled',
    async () => {
      const headers = { cookie: session.cookie };
      for (const path of [
        '/..%2f..%2fpackage.json',
        '/%2e%2e/%2e%2e/package.json',
        '/../package.json',
        '/..%5c..%5cpackage.json',
        '/src/main.ts',
        '/%00',
      ]) {
        expect((await call(address, 'GET', path, { headers })).status, path).toBe(404);
      }
      const js = await call(address, 'GET', '/app.js', { headers });
      expect(js.status).toBe(200);
      expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    },
    TIMEOUT,
  );
});

describe('console: metrics', () => {
  /** the value of one series in Prometheus text (0 when absent) */
  const sample = (text: string, series: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? 0 : Number(line.slice(series.length + 1));
  };
  const scrape = async () => {
    const r = await call(address, 'GET', '/metrics');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return r.text;
  };

  it(
    '/metrics needs no sign-in and counts sign-ins, CSRF refusals and actions by outcome — never a token or a principal',
    async () => {
      const before = await scrape();
      expect(before).toMatch(/^ops_build_info\{version="0\.1\.0",node_version="v[\d.]+",service="console"\} 1$/m);
      expect(before).toMatch(/^process_resident_memory_bytes\{service="console"\} \d+/m);
      expect((await call(address, 'POST', '/metrics')).status).toBe(405);

      expect((await call(address, 'POST', '/login', { body: { token: 'wrong-token-for-the-metrics-000' } })).status).toBe(401);
      const mine = await signIn(address);
      const headers = { cookie: mine.cookie, 'x-csrf-token': mine.csrf };
      const runId = await queuedRun(1);
      const path = `/api/runs/${runId}/cancel`;
      expect((await call(address, 'POST', path, { headers: { cookie: mine.cookie }, body: { workspace: ws, reason: 'r' } })).status).toBe(
        403,
      );
      expect((await call(address, 'POST', path, { headers, body: { workspace: ws } })).status).toBe(400);
      expect((await call(address, 'POST', path, { headers, body: { workspace: ws, reason: 'metrics' } })).status).toBe(200);
      expect((await call(address, 'POST', path, { headers, body: { workspace: ws, reason: 'again' } })).status).toBe(409);
      const events = openEvents(address, '/api/live?path=/api/locks', { cookie: mine.cookie });
      try {
        await events.until((e) => e.length >= 1);
        const after = await scrape();
        const delta = (series: string) => sample(after, series) - sample(before, series);
        expect(delta('ops_console_sign_ins_total{outcome="wrong_token",service="console"}')).toBe(1);
        expect(delta('ops_console_sign_ins_total{outcome="ok",service="console"}')).toBe(1);
        expect(delta('ops_console_csrf_refusals_total{service="console"}')).toBe(1);
        expect(delta('ops_console_actions_total{action="cancel",outcome="refused",service="console"}')).toBe(2);
        expect(delta('ops_console_actions_total{action="cancel",outcome="ok",service="console"}')).toBe(1);
        expect(sample(after, 'ops_console_live_views{service="console"}')).toBeGreaterThanOrEqual(1);
        for (const secret of [TOKEN, mine.csrf, 'operator', runId]) expect(after).not.toContain(secret);
      } finally {
        events.close();
      }
    },
    TIMEOUT,
  );
});

describe('console: live views', () => {
  it(
    'a first event at once, another when the run changes (cancel), then a run completes under a worker',
    async () => {
      const runId = await queuedRun(1);
      const stream = openEvents(address, `/api/live?path=${encodeURIComponent(`/api/runs/${runId}?workspace=${ws}`)}`, {
        cookie: session.cookie,
      });
      try {
        await stream.until((e) => e.length >= 1);
        expect(stream.status()).toBe(200);
        expect(stream.events[0]).toMatchObject({ event: 'update', data: { id: runId, status: 'queued' } });
        await call(address, 'POST', `/api/runs/${runId}/cancel`, {
          headers: { cookie: session.cookie, 'x-csrf-token': session.csrf },
          body: { workspace: ws, reason: 'live test' },
        });
        await stream.until((e) => e.some((x) => (x.data as { outcome?: string }).outcome === 'cancelled'));
      } finally {
        stream.close();
      }
      // a run that a worker completes: the runs list shows it queued, then completed
      await h.startWorker();
      const { run } = await h.dispatch('assignments.restore', 0);
      const list = openEvents(address, `/api/live?path=${encodeURIComponent(`/api/runs?workspace=${ws}&limit=50`)}`, {
        cookie: session.cookie,
      });
      const statusOf = (x: { data: unknown }) =>
        (x.data as { runs?: Array<{ id: string; status: string }> }).runs?.find((r) => r.id === run.id)?.status;
      try {
        await list.until((e) => e.some((x) => statusOf(x) === 'completed'), 45_000);
        expect(list.events.length).toBeGreaterThanOrEqual(2);
        // only changes are sent: no two consecutive events are equal
        for (let i = 1; i < list.events.length; i += 1) expect(list.events[i]).not.toEqual(list.events[i - 1]);
      } finally {
        list.close();
      }
    },
    TIMEOUT,
  );
});

describe('console: proxy mode', () => {
  it(
    'the user header from a trusted peer is the principal (and the actor); CSRF still applies; live views per session are capped',
    async () => {
      const started = await startTestConsole(
        consoleEnv(h.names.prefix, { CONSOLE_AUTH: 'proxy', CONSOLE_TOKEN: '', CONSOLE_LIVE_MAX: '1' }),
      );
      consoles.push(started.console);
      const at = started.console.address;
      const user = { 'x-forwarded-user': 'alice@example.com' };
      const who = await call(at, 'GET', '/api/session', { headers: user });
      expect(who.status).toBe(200);
      const { principal, csrf } = who.json<{ principal: string; csrf: string }>();
      expect(principal).toBe('alice@example.com');
      expect((await call(at, 'GET', '/api/session')).status).toBe(401);
      const runId = await queuedRun(0).catch(async () => (await h.dispatch('assignments.fetch', 1)).run.id);
      const noCsrf = await call(at, 'POST', `/api/runs/${runId}/cancel`, { headers: user, body: { workspace: ws, reason: 'r' } });
      expect(noCsrf.status).toBe(403);
      const ok = await call(at, 'POST', `/api/runs/${runId}/cancel`, {
        headers: { ...user, 'x-csrf-token': csrf },
        body: { workspace: ws, reason: 'proxy' },
      });
      // the worker may have taken it: a cancel of a running run works as well, a completed one is a conflict
      expect([200, 409]).toContain(ok.status);
      if (ok.status === 200) expect(ok.json()).toMatchObject({ action: { actor: 'alice@example.com' } });
      const first = openEvents(at, '/api/live?path=/api/locks', user);
      try {
        await first.until((e) => e.length >= 1);
        const second = await call(at, 'GET', '/api/live?path=/api/locks', { headers: user });
        expect(second.status).toBe(429);
      } finally {
        first.close();
      }
    },
    TIMEOUT,
  );

  it(
    'the user header from a peer not in CONSOLE_TRUSTED_PROXIES → 401',
    async () => {
      const started = await startTestConsole(
        consoleEnv(h.names.prefix, { CONSOLE_AUTH: 'proxy', CONSOLE_TOKEN: '', CONSOLE_TRUSTED_PROXIES: '10.9.9.9' }),
      );
      consoles.push(started.console);
      const r = await call(started.console.address, 'GET', '/api/session', { headers: { 'x-forwarded-user': 'alice' } });
      expect(r.status).toBe(401);
    },
    TIMEOUT,
  );
});
