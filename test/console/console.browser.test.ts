import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { headers } from '@nats-io/nats-core';
import { type Console, startConsole } from '@ops/console/app';
import { consoleConfigSchema } from '@ops/console/config';
import { HEADERS, type RunLeaseV1 } from '@ops/contracts';
import { createLease, openLocksBucket } from '@ops/nats';
import {
  type BrowserSession,
  captureLogger,
  insertRun,
  openBrowser,
  ROOT,
  testEnv,
  traceRequests,
  useHousekeepingStack,
} from '@ops/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The console in a real browser (issue #22): Debian's chromium driven by
 * playwright-core against the running system — ledger, worker, fake Graph and
 * housekeeping and the console — signed in with the operator token. Every request the pages
 * make is recorded (and anything not loopback blocked); the trace is checked
 * at the end. Screenshots of each page go to CONSOLE_SCREENSHOTS (the
 * committed ones: docs/console/, `CONSOLE_SCREENSHOTS=docs/console vitest run
 * test/console`), else to a temp directory.
 */
const TOKEN = 'browser-test-token-0123456789abcdef';
const h = useHousekeepingStack({ tenants: 3, policiesPerTenant: 3, ledgerEnv: { LEDGER_LEASE_STALE_MS: '1500' } });
let consoleApp: Console;
let base: string;
let session: BrowserSession;
let work: string;
let shots: string;
const ws = () => h.seed.workspace.id;

beforeAll(async () => {
  await h.startWorker();
  await h.startHousekeeping();
  const { logger } = captureLogger('console');
  consoleApp = await startConsole({
    config: consoleConfigSchema.parse({
      NATS_URL: testEnv.NATS_URL.join(','),
      NATS_PREFIX: h.names.prefix,
      CONSOLE_PORT: '0',
      CONSOLE_TOKEN: TOKEN,
      CONSOLE_LIVE_MS: '300',
    }),
    logger,
  });
  base = `http://127.0.0.1:${consoleApp.address.port}`;
  work = await mkdtemp(join(tmpdir(), 'ops-console-browser-'));
  shots = process.env['CONSOLE_SCREENSHOTS'] ? join(ROOT, process.env['CONSOLE_SCREENSHOTS']) : join(work, 'shots');
  await mkdir(shots, { recursive: true });
  session = await openBrowser({ traceDir: work });
}, 180_000);

afterAll(async () => {
  await session?.close();
  await consoleApp?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

const page = () => session.page;
const byId = (id: string) => page().getByTestId(id);
async function confirmWith(reason: string): Promise<void> {
  await byId('confirm-reason').fill(reason);
  await byId('confirm-submit').click();
}

describe('the console in chromium', () => {
  it('answers 401 without credentials and shows the sign-in page; signs in with the token', async () => {
    const api = await page().request.get(`${base}/api/runs?workspace=${ws()}`);
    expect(api.status()).toBe(401);
    await page().goto(`${base}/`);
    await expect.poll(() => page().url()).toContain('/login');
    await session.screenshot(join(shots, 'login.png'));
    await byId('login-token').fill(TOKEN);
    await byId('login-submit').click();
    await expect.poll(async () => byId('session-principal').textContent(), { timeout: 15_000 }).toContain('operator');
  }, 60_000);

  it('dispatches a run and watches it progress and complete, without reloading', async () => {
    h.graph.setFaults({ latencyMs: 500 });
    try {
      await page().goto(`${base}/#/runs?workspace=${ws()}`);
      await byId('dispatch-type').selectOption('assignments.fetch');
      await byId('dispatch-tenant').fill(h.seed.tenants[0]!.id);
      await byId('dispatch-submit').click();
      const link = byId('dispatch-run-link');
      await link.waitFor({ timeout: 15_000 });
      const runId = (await link.textContent())!.trim();
      const row = byId(`run-row-${runId}`);
      // the list updates live: the run shows up and moves on while the page stays as it is
      await expect.poll(async () => row.getAttribute('data-status'), { timeout: 20_000 }).toBe('running');
      await session.screenshot(join(shots, 'runs.png'));
      await link.click();
      await expect.poll(async () => byId('run-status').textContent(), { timeout: 30_000 }).toBe('completed');
      expect(await byId('run-outcome').textContent()).toBe('succeeded');
      expect(await byId('run-counters').textContent()).toContain('3/3');
      expect(await page().getByTestId('timeline-entry').count()).toBeGreaterThanOrEqual(2);
    } finally {
      h.graph.setFaults({});
    }
  }, 90_000);

  it('cancels a running run (slow Graph) with a reason: it ends cancelled, the audit names the signed-in operator', async () => {
    h.graph.setFaults({ latencyMs: 1_500 });
    try {
      const { run } = await h.dispatch('assignments.fetch', 1, []);
      await page().goto(`${base}/#/runs/${run.id}?workspace=${ws()}`);
      await expect.poll(async () => byId('run-status').textContent(), { timeout: 20_000 }).toBe('running');
      await byId('action-cancel').click();
      await confirmWith('stuck tenant, cancelled from the browser test');
      await expect.poll(async () => byId('run-outcome').textContent(), { timeout: 20_000 }).toBe('cancelled');
      const audit = byId('audit-entry').first();
      await audit.waitFor();
      expect(await audit.getAttribute('data-action')).toBe('cancel');
      expect(await byId('audit-actor').first().textContent()).toBe('operator');
      expect(await byId('audit-reason').first().textContent()).toBe('stuck tenant, cancelled from the browser test');
      // no error shown (an empty error banner was visible once: CSS overrode `hidden`)
      expect(await byId('banner-error').isVisible()).toBe(false);
      await session.screenshot(join(shots, 'run.png'));
      const stored = await h.getRun(run.id);
      expect(stored.failure_summary.map((f) => f.code)).toContain('run.cancelled');
    } finally {
      h.graph.setFaults({});
    }
  }, 90_000);

  it('refuses an action without the CSRF token (403) and changes nothing', async () => {
    const run = await insertRun(h, { tenant: 2 });
    const status = await page().evaluate(
      async ([url, body]) => (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).status,
      [`${base}/api/runs/${run.id}/cancel`, JSON.stringify({ workspace: ws(), reason: 'no csrf token' })] as const,
    );
    expect(status).toBe(403);
    expect((await h.getRun(run.id)).status).toBe('queued');
  }, 30_000);

  it('redrives a dead letter from the dead-letters page', async () => {
    const dlq = headers();
    dlq.set(HEADERS.dlqReason, 'ledger_unavailable');
    dlq.set(HEADERS.dlqOriginSubject, h.names.jobSubject('assignments.fetch'));
    const body = JSON.stringify({ v: 1, run_id: crypto.randomUUID(), note: 'a dead letter for the browser test' });
    const { seq } = await jetstream(h.nc).publish(h.names.dlqSubject('assignment-worker'), body, { headers: dlq });
    await page().goto(`${base}/#/dlq`);
    const row = byId(`dlq-row-${seq}`);
    await row.waitFor({ timeout: 15_000 });
    await session.screenshot(join(shots, 'dlq.png'));
    await row.getByTestId('dlq-redrive').click();
    await confirmWith('the ledger is back: redrive');
    await row.waitFor({ state: 'detached', timeout: 15_000 });
    const [action] = await h.sql<{ action: string; actor: string }>("SELECT action, actor FROM run_actions WHERE detail->>'dlq_seq' = $1", [
      String(seq),
    ]);
    expect(action).toEqual({ action: 'dlq_redrive', actor: 'operator' });
  }, 60_000);

  it('releases a stale lock from the locks page', async () => {
    const key = `assignments.restore.${'b'.repeat(64)}`;
    const stale: RunLeaseV1 = {
      kind: 'run',
      run_id: crypto.randomUUID(),
      owner: 'gone-worker:1',
      attempt: 1,
      state: 'running',
      heartbeat_at: new Date().toISOString(),
      stream_seq: 1,
    };
    await createLease(await openLocksBucket(h.nc, h.names), key, stale);
    await page().goto(`${base}/#/locks`);
    const row = byId(`lock-row-${key}`);
    await row.waitFor({ timeout: 15_000 });
    await session.screenshot(join(shots, 'locks.png'));
    await row.getByTestId('lock-release').click();
    await confirmWith('its worker is gone');
    // the ledger watches the lease for LEDGER_LEASE_STALE_MS (1.5 s here) before it releases it
    await row.waitFor({ state: 'detached', timeout: 20_000 });
  }, 60_000);

  it('shows the health of each service and consumer', async () => {
    await page().goto(`${base}/#/health`);
    await expect.poll(async () => byId('service-ledger').getAttribute('data-instances'), { timeout: 15_000 }).toBe('1');
    await expect.poll(async () => byId('service-housekeeping').getAttribute('data-instances'), { timeout: 15_000 }).toBe('1');
    await byId('health-consumers').waitFor();
    await session.screenshot(join(shots, 'health.png'));
  }, 30_000);

  it('made no request to a non-loopback address (recorded, and in the trace); the screenshots are PNG files', async () => {
    expect(session.nonLoopback()).toEqual([]);
    expect(session.requests.length).toBeGreaterThan(10);
    await session.close();
    const traced = await traceRequests(session.tracePath!);
    expect(traced.length).toBeGreaterThan(10);
    expect(traced.filter((u) => !new URL(u).hostname.match(/^(127\.0\.0\.1|localhost|\[::1\])$/))).toEqual([]);
    for (const name of ['login', 'runs', 'run', 'dlq', 'locks', 'health']) {
      const png = await readFile(join(shots, `${name}.png`));
      expect(png.subarray(0, 8).toString('hex'), name).toBe('89504e470d0a1a0a');
    }
  }, 60_000);
});
