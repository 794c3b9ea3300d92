import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ROOT } from './process.ts';
import { readZip } from './trace-zip.ts';

/**
 * Debian's chromium, as .ci/chromium.sh installs it. Never a browser that a
 * test tool downloads: the machine reaches only the npm registry and Debian's
 * mirror, so `playwright install` fails here (playwright-core itself never
 * downloads one).
 */
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  // Without these three, chromium opens connections of its own at start
  // (updates, sync, safe browsing) that the closed network refuses, many at
  // a time, and that would show up as non-loopback traffic of no test's making.
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
// data:, blob: and about: URLs never leave the browser
const LOCAL_SCHEMES = new Set(['data:', 'blob:', 'about:']);

let chromiumPath: Promise<string> | undefined;

/** Installs Debian's chromium once per process (the first time ~10 s) and returns its path. */
export function ensureChromium(): Promise<string> {
  chromiumPath ??= promisify(execFile)('bash', [join(ROOT, '.ci/chromium.sh')], { encoding: 'utf8', timeout: 300_000 }).then(
    ({ stdout, stderr }) => {
      process.stderr.write(stderr);
      return stdout.trim();
    },
  );
  return chromiumPath;
}

/** True when a URL stays on this machine: a loopback host, or a scheme with no host. */
export function isLoopbackUrl(url: string): boolean {
  const parsed = URL.parse(url);
  if (!parsed) return false;
  return LOCAL_SCHEMES.has(parsed.protocol) || LOOPBACK_HOSTS.has(parsed.hostname);
}

export interface BrowserSession {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** every request URL the pages made, in order, blocked ones included */
  requests: string[];
  /** where close() saves the trace (undefined without traceDir) */
  tracePath: string | undefined;
  /** the request URLs whose host is not loopback: all of them were blocked */
  nonLoopback(): string[];
  screenshot(path: string): Promise<void>;
  /** saves the trace, closes chromium and removes its profile; safe to call twice */
  close(): Promise<void>;
}

let traces = 0;

/**
 * Launches headless chromium with a fresh profile. Any request to a host that
 * is not loopback is aborted at the context and recorded: a page that still
 * references a CDN fails loudly (and nonLoopback() names the URL) instead of
 * hanging until a timeout on the offline machine. With traceDir, a Playwright
 * trace (DOM snapshots, network) is recorded and saved there on close, for
 * traceRequests() and the trace viewer; without, no trace is recorded (it
 * costs a snapshot per action).
 */
export async function openBrowser(options: { traceDir?: string } = {}): Promise<BrowserSession> {
  const executablePath = await ensureChromium();
  // imported here, not at the top: every test file loads @ops/test-support,
  // and playwright-core costs ~0.4 s and ~60 MB to load
  const { chromium } = await import('playwright-core');
  // Playwright refuses --user-data-dir in args: a persistent context is how
  // to choose the (fresh, empty) profile directory ourselves.
  const profile = await mkdtemp(join(tmpdir(), 'ops-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      chromiumSandbox: false,
      args: [...CHROMIUM_FLAGS],
    });
  } catch (err) {
    await rm(profile, { recursive: true, force: true });
    throw err;
  }
  const browser = context.browser();
  if (!browser) throw new Error('chromium: the persistent context has no browser');

  const requests: string[] = [];
  context.on('request', (request) => requests.push(request.url()));
  await context.route(
    (url) => !isLoopbackUrl(url.href),
    (route) => route.abort('blockedbyclient'),
  );
  // WebSockets bypass context.route; record and refuse them the same way
  await context.routeWebSocket(
    (url) => !isLoopbackUrl(url.href),
    (ws) => {
      requests.push(ws.url());
      return ws.close({ code: 1008, reason: 'non-loopback host blocked by the test browser' });
    },
  );
  const tracePath = options.traceDir ? join(options.traceDir, `trace-${process.pid}-${++traces}.zip`) : undefined;
  if (tracePath) await context.tracing.start({ snapshots: true, screenshots: false });
  const page = context.pages()[0] ?? (await context.newPage());

  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    try {
      if (tracePath) await context.tracing.stop({ path: tracePath });
    } finally {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    }
  };
  return {
    browser,
    context,
    page,
    requests,
    tracePath,
    nonLoopback: () => requests.filter((url) => !isLoopbackUrl(url)),
    screenshot: async (path) => {
      await page.screenshot({ path, type: 'png' });
    },
    close: () => {
      closing ??= close();
      return closing;
    },
  };
}

/**
 * The request URLs a saved Playwright trace records, in order: the network
 * entries (`*.network`, one JSON event a line, type "resource-snapshot"),
 * failed and blocked requests included. This is what lets a test say "the
 * trace shows no request to a non-loopback address".
 */
export async function traceRequests(tracePath: string): Promise<string[]> {
  const urls: string[] = [];
  for (const [name, data] of await readZip(tracePath)) {
    if (!name.endsWith('.network')) continue;
    for (const line of data.toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      const event = JSON.parse(line) as { type?: string; snapshot?: { request?: { url?: unknown } } };
      const url = event.snapshot?.request?.url;
      if (event.type === 'resource-snapshot' && typeof url === 'string') urls.push(url);
    }
  }
  return urls;
}
