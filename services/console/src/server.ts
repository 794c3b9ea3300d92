import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@ops/logging';
import { natsReady } from '@ops/nats';
import type { Registry } from '@ops/runtime';
import { actionFor } from './actions.ts';
import { type Auth, csrfAccepted, type Principal, sameOrigin } from './auth.ts';
import type { ConsoleConfig } from './config.ts';
import type { ConsoleDeps } from './deps.ts';
import { errorBody, HttpError, peerAddress, readBody, readJsonObject, SECURITY_HEADERS, sendError, sendJson } from './http.ts';
import type { LiveViews } from './live.ts';
import type { ConsoleMetrics } from './metrics.ts';
import { readFor } from './reads.ts';
import { lookupStatic, type StaticFile } from './static.ts';

/** what a browser may load before it logged in: the login page and its stylesheet */
const PUBLIC_PATHS = new Set(['/login.html', '/app.css']);
const LOGIN_ERROR_MARK = '<!-- login-error -->';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * One handler for the console's one port: probes, the login, the JSON API
 * (reads, live views, actions) and the static pages. Every response carries
 * the security headers; /api answers are never cached.
 */
export function createHandler(options: {
  config: Readonly<ConsoleConfig>;
  deps: ConsoleDeps;
  auth: Auth;
  live: LiveViews;
  files: ReadonlyMap<string, StaticFile>;
  logger: Logger;
  registry: Registry;
  metrics: ConsoleMetrics;
}): Handler {
  const { config, deps, auth, live, files, logger, registry, metrics } = options;
  const loginPage = files.get('/login.html')?.body.toString('utf8') ?? '';
  const trustedProxy = (req: IncomingMessage) =>
    config.CONSOLE_AUTH === 'proxy' && config.CONSOLE_TRUSTED_PROXIES.includes(peerAddress(req));

  const sendLoginPage = (res: ServerResponse, status: number, error: string | null) => {
    const html =
      error === null ? loginPage : loginPage.replace(LOGIN_ERROR_MARK, `<p class="error" data-testid="login-error">${error}</p>`);
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(html);
  };

  const login = async (req: IncomingMessage, res: ServerResponse) => {
    const form = !String(req.headers['content-type'] ?? '').includes('json');
    const refuse = (status: number, code: string, message: string) =>
      form ? sendLoginPage(res, status, message) : sendJson(res, status, { error: { code, message } });
    if (config.CONSOLE_AUTH !== 'token') return refuse(404, 'not_found', 'this console signs in through its auth proxy');
    if (!sameOrigin(req, false)) {
      metrics.signIn('cross_site');
      return refuse(403, 'csrf', 'the login came from another site');
    }
    if (auth.throttled(req)) {
      metrics.signIn('throttled');
      return refuse(429, 'too_many', 'too many failed sign-ins — wait a minute');
    }
    const text = await readBody(req);
    let token = '';
    try {
      token = form ? (new URLSearchParams(text).get('token') ?? '') : String((JSON.parse(text) as { token?: unknown }).token ?? '');
    } catch {
      token = '';
    }
    const session = auth.login(req, token);
    metrics.signIn(session === null ? 'wrong_token' : 'ok');
    if (session === null) {
      logger.warn({ peer: peerAddress(req) }, 'console sign-in refused');
      return refuse(401, 'unauthorized', 'wrong token');
    }
    if (form) res.writeHead(303, { location: '/', 'set-cookie': session.cookie, 'cache-control': 'no-store' }).end();
    else sendJson(res, 200, { principal: config.CONSOLE_TOKEN_PRINCIPAL }, { 'set-cookie': session.cookie });
  };

  const api = async (req: IncomingMessage, res: ServerResponse, url: URL, principal: Principal) => {
    const path = url.pathname;
    if (req.method === 'GET') {
      if (path === '/api/session') return sendJson(res, 200, { principal: principal.name, via: principal.via, csrf: principal.csrf });
      if (path === '/api/live') {
        const target = new URL(url.searchParams.get('path') ?? '', 'http://console');
        const read = target.pathname.startsWith('/api/') ? readFor(deps, target.pathname) : null;
        if (read === null) throw new HttpError(400, 'bad_request', 'path must be one of the /api/ reads (e.g. /api/runs?workspace=…)');
        return live.serve(req, res, principal, read, target.searchParams);
      }
      const read = readFor(deps, path);
      if (read === null) throw new HttpError(404, 'not_found', 'no such API path');
      return sendJson(res, 200, await read(url.searchParams));
    }
    if (req.method !== 'POST') throw new HttpError(405, 'method_not_allowed', 'GET or POST only');
    // before the body is read or anything is asked of the ledger
    if (!csrfAccepted(req, principal, trustedProxy(req))) {
      metrics.csrfRefused();
      throw new HttpError(403, 'csrf', 'missing or wrong x-csrf-token, or a request from another origin');
    }
    const action = actionFor(deps, path);
    if (action === null) throw new HttpError(404, 'not_found', 'no such API action');
    let result: unknown;
    try {
      result = await action.run(await readJsonObject(req), principal);
    } catch (err) {
      metrics.action(action.name, errorBody(err).status >= 500 ? 'failed' : 'refused');
      throw err;
    }
    metrics.action(action.name, 'ok');
    logger.info({ actor: principal.name, via: principal.via, path }, 'console action');
    return sendJson(res, 200, result);
  };

  const page = (req: IncomingMessage, res: ServerResponse, url: URL) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'method_not_allowed', 'GET only');
    const found = lookupStatic(files, url.pathname);
    if (found === null) return res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found');
    if (!PUBLIC_PATHS.has(found.path) && auth.authenticate(req) === null) {
      // a page goes to the login (token mode); a script or an unknown client gets 401
      if (found.path.endsWith('.html') && config.CONSOLE_AUTH === 'token') return res.writeHead(302, { location: '/login' }).end();
      return res.writeHead(401, { 'content-type': 'text/plain; charset=utf-8' }).end('unauthorized');
    }
    res.writeHead(200, {
      'content-type': found.file.contentType,
      'content-length': found.file.body.byteLength,
      'cache-control': 'no-cache',
    });
    res.end(req.method === 'HEAD' ? undefined : found.file.body);
  };

  const route = async (req: IncomingMessage, res: ServerResponse) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    const url = new URL(req.url ?? '/', 'http://console');
    const path = url.pathname;
    if (path === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (path === '/readyz') {
      const ready = natsReady(deps.nc);
      return sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not_ready', checks: { nats: ready } });
    }
    if (path === '/metrics') {
      // unauthenticated, as every service's: counts and the build, never a run, a name or a token
      if (req.method !== 'GET') throw new HttpError(405, 'method_not_allowed', 'GET only');
      const text = await registry.metrics();
      return res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' }).end(text);
    }
    if (path === '/login') {
      if (req.method === 'POST') return login(req, res);
      if (config.CONSOLE_AUTH === 'proxy') return res.writeHead(302, { location: '/' }).end();
      return sendLoginPage(res, 200, null);
    }
    if (path.startsWith('/api/') || path === '/logout') {
      res.setHeader('cache-control', 'no-store');
      const principal = auth.authenticate(req);
      if (principal === null) throw new HttpError(401, 'unauthorized', 'sign in first (session cookie, bearer token or the auth proxy)');
      if (path !== '/logout') return api(req, res, url, principal);
      if (req.method !== 'POST') throw new HttpError(405, 'method_not_allowed', 'POST only');
      if (!csrfAccepted(req, principal, trustedProxy(req))) throw new HttpError(403, 'csrf', 'missing or wrong x-csrf-token');
      return sendJson(res, 200, { ok: true }, { 'set-cookie': auth.logout(req) });
    }
    return page(req, res, url);
  };

  return (req, res) => {
    route(req, res).catch((err: unknown) => {
      // the ledger's refusals (conflict, not_found, …) are answers; only the unexpected is logged as an error
      if (errorBody(err).status >= 500) logger.error({ err, path: req.url?.split('?')[0] }, 'console request failed');
      if (res.headersSent) return void res.end();
      sendError(res, err);
    });
  };
}
