import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Console, startConsole } from '@ops/console/app';
import { consoleConfigSchema } from '@ops/console/config';
import { captureLogger, testEnv } from '@ops/test-support';

/** What only the console's tests share: an HTTP client with full control of headers (Origin, Cookie), and an SSE reader. */

export const TOKEN = 'console-test-token-0123456789abcdef';
export const TIMEOUT = 60_000;

export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  json<T = Record<string, unknown>>(): T;
}

export function consoleEnv(prefix: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    NATS_URL: testEnv.NATS_URL.join(','),
    NATS_PREFIX: prefix,
    CONSOLE_PORT: '0',
    CONSOLE_TOKEN: TOKEN,
    CONSOLE_LIVE_MS: '200',
    ...extra,
  };
}

/** An in-process console; `lines` are its log lines (searched for secrets). */
export async function startTestConsole(env: Record<string, string>): Promise<{ console: Console; lines: string[] }> {
  const { logger, lines } = captureLogger('console');
  const console = await startConsole({ config: consoleConfigSchema.parse(env), logger });
  return { console, lines };
}

export function call(
  address: Pick<AddressInfo, 'address' | 'port'>,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string | object } = {},
): Promise<Reply> {
  const body = typeof options.body === 'object' ? JSON.stringify(options.body) : options.body;
  const headers = { ...(typeof options.body === 'object' ? { 'content-type': 'application/json' } : {}), ...options.headers };
  return new Promise((resolve, reject) => {
    const req = request({ host: address.address, port: address.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: <T>() => JSON.parse(text) as T });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Signs in with the token; returns the cookie header and the session's CSRF token. */
export async function signIn(address: AddressInfo): Promise<{ cookie: string; csrf: string; principal: string }> {
  const login = await call(address, 'POST', '/login', { body: { token: TOKEN } });
  if (login.status !== 200) throw new Error(`login: ${login.status} ${login.text}`);
  const setCookie = [login.headers['set-cookie'] ?? []].flat()[0] ?? '';
  const cookie = setCookie.split(';')[0]!;
  const session = (await call(address, 'GET', '/api/session', { headers: { cookie } })).json<{ csrf: string; principal: string }>();
  return { cookie, csrf: session.csrf, principal: session.principal };
}

/** A Server-Sent Events stream: the events received so far, and a wait for the n-th one. */
export function openEvents(address: AddressInfo, path: string, headers: Record<string, string>) {
  const events: Array<{ event: string; data: unknown }> = [];
  let status = 0;
  const waiters = new Set<() => void>();
  let buffer = '';
  const req = request({ host: address.address, port: address.port, path, headers }, (res) => {
    status = res.statusCode ?? 0;
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(frame)?.[1];
        const data = /^data: (.*)$/m.exec(frame)?.[1];
        if (event !== undefined && data !== undefined) events.push({ event, data: JSON.parse(data) });
        end = buffer.indexOf('\n\n');
      }
      for (const w of waiters) w();
    });
    res.on('end', () => {
      for (const w of waiters) w();
    });
  });
  req.on('error', () => undefined);
  req.end();
  return {
    events,
    status: () => status,
    close: () => req.destroy(),
    until(predicate: (e: typeof events) => boolean, timeoutMs = 20_000): Promise<void> {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (predicate(events)) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`events did not match within ${timeoutMs} ms: ${JSON.stringify(events).slice(0, 2000)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}
