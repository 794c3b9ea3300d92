import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserSession, isLoopbackUrl, openBrowser, traceRequests } from './browser.ts';

// 203.0.113.0/24 is TEST-NET-3 (RFC 5737): routed nowhere, so an image there
// stands for a CDN reference that must be blocked and named, never fetched.
const OFFSITE_IMAGE = 'http://203.0.113.1/x.png';
const PAGE = `<!doctype html>
<title>smoke</title>
<button id="go" onclick="this.textContent = 'clicked'">click me</button>
<img id="offsite" src="${OFFSITE_IMAGE}" alt="">`;
const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe('isLoopbackUrl', () => {
  it('counts 127.0.0.1, localhost, [::1] and host-less schemes as local; any other host is not', () => {
    for (const url of ['http://127.0.0.1:8080/a', 'http://localhost/', 'http://[::1]:3000/', 'data:image/png;base64,AA', 'about:blank']) {
      expect(isLoopbackUrl(url), url).toBe(true);
    }
    for (const url of [OFFSITE_IMAGE, 'https://cdn.example/lib.js', 'ws://10.0.0.1/socket', 'not a url']) {
      expect(isLoopbackUrl(url), url).toBe(false);
    }
  });
});

describe('the test browser: Debian chromium driven by playwright-core, loopback only', () => {
  let server: Server;
  let pageUrl: string;
  let dir: string;
  let session: BrowserSession | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'browser-test-'));
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(PAGE);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    pageUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`;
  });

  afterAll(async () => {
    await session?.close();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  // the first run on a machine installs chromium (.ci/chromium.sh): ~10 s to 2 min
  it('clicks, screenshots, blocks the off-site image and names it, in the recorded requests and in the saved trace', async () => {
    session = await openBrowser({ traceDir: dir });
    const { page } = session;
    await page.goto(pageUrl);
    await page.click('#go');
    expect(await page.textContent('#go')).toBe('clicked');
    // the blocked image failed at once (no hang until a timeout): loaded, with no pixels
    expect(await page.$eval('#offsite', (img: { complete: boolean; naturalWidth: number }) => img.complete && img.naturalWidth === 0)).toBe(
      true,
    );

    const shot = join(dir, 'page.png');
    await session.screenshot(shot);
    expect((await readFile(shot)).subarray(0, 8)).toEqual(PNG_MAGIC);

    expect(session.requests).toContain(pageUrl);
    expect(session.nonLoopback()).toEqual([OFFSITE_IMAGE]);

    await session.close();
    const traced = await traceRequests(session.tracePath ?? '');
    expect(traced).toContain(pageUrl);
    expect(traced).toContain(OFFSITE_IMAGE);
    expect(traced.filter((url) => !isLoopbackUrl(url))).toEqual([OFFSITE_IMAGE]);
  }, 300_000);
});
