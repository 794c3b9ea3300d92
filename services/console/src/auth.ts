import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { ConsoleConfig } from './config.ts';
import { peerAddress } from './http.ts';

/** Who is asking, and how they proved it. */
export interface Principal {
  /** the actor of every action this request takes */
  readonly name: string;
  /** session: the login cookie; bearer: `Authorization: Bearer <token>` (scripts); proxy: the trusted proxy's user header */
  readonly via: 'session' | 'bearer' | 'proxy';
  /** what the live-view limit counts per (the session, or the principal) */
  readonly key: string;
  /** the CSRF token this principal's browser must send back; null for bearer requests (no ambient credential) */
  readonly csrf: string | null;
}

export const SESSION_COOKIE = 'console_session';
const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** sessions held at once; the oldest goes first (a flood of logins cannot grow memory) */
const MAX_SESSIONS = 1_000;
/** failed logins per peer and minute before it gets 429 (a token of 24+ random characters is not guessed, but logs stay calm) */
const MAX_FAILURES_PER_MINUTE = 10;
/** a principal is 1-200 characters of text: no control characters (they would reach the audit record and the logs) */
const CONTROL = /\p{Cc}/u;

export interface Auth {
  /** the principal of a request, or null (401) */
  authenticate(req: IncomingMessage): Principal | null;
  /** token mode: a new session cookie for the right token; null for a wrong one (counted per peer) */
  login(req: IncomingMessage, token: string): { cookie: string } | null;
  /** whether this peer failed too many logins lately */
  throttled(req: IncomingMessage): boolean;
  /** ends the request's session (if any) and returns the cookie that clears it */
  logout(req: IncomingMessage): string;
}

/**
 * Sessions are random ids signed with a key made at start (a restart logs
 * everyone out) and kept in memory, so a logout really ends one. The CSRF
 * token is an HMAC of the session id (proxy mode: of the principal) with the
 * same key: the server recomputes it, a foreign page cannot read it.
 */
export function createAuth(config: Readonly<ConsoleConfig>, now: () => number = Date.now): Auth {
  const key = randomBytes(32);
  const mac = (text: string) => createHmac('sha256', key).update(text).digest('base64url');
  const sessions = new Map<string, number>();
  const failures = new Map<string, number[]>();
  const tokenDigest = createHash('sha256').update(config.CONSOLE_TOKEN).digest();
  const tokenMatches = (candidate: string) =>
    config.CONSOLE_TOKEN.length > 0 && timingSafeEqual(createHash('sha256').update(candidate).digest(), tokenDigest);
  const cookieAttributes = `Path=/; HttpOnly; SameSite=Strict${config.CONSOLE_SECURE_COOKIE ? '; Secure' : ''}`;

  const recentFailures = (peer: string): number[] => {
    const since = now() - 60_000;
    const list = (failures.get(peer) ?? []).filter((t) => t > since);
    if (list.length === 0) failures.delete(peer);
    else failures.set(peer, list);
    return list;
  };
  const fail = (peer: string) => {
    failures.set(peer, [...recentFailures(peer), now()]);
  };

  const sessionOf = (req: IncomingMessage): string | null => {
    const value = readCookie(req, SESSION_COOKIE);
    if (value === null) return null;
    const [sid, signature] = value.split('.');
    if (!sid || !signature || !safeEqual(signature, mac(`session:${sid}`))) return null;
    const expires = sessions.get(sid);
    if (expires === undefined) return null;
    if (expires < now()) {
      sessions.delete(sid);
      return null;
    }
    return sid;
  };

  return {
    authenticate(req) {
      if (config.CONSOLE_AUTH === 'proxy') {
        // the header is the proxy's word: believed only from the proxy itself
        if (!config.CONSOLE_TRUSTED_PROXIES.includes(peerAddress(req))) return null;
        const user = req.headers[config.CONSOLE_PROXY_USER_HEADER];
        const name = typeof user === 'string' ? user.trim() : '';
        if (name.length < 1 || name.length > 200 || CONTROL.test(name)) return null;
        return { name, via: 'proxy', key: `proxy:${name}`, csrf: mac(`csrf:proxy:${name}`) };
      }
      const authorization = req.headers.authorization;
      if (authorization?.startsWith('Bearer ')) {
        if (!tokenMatches(authorization.slice('Bearer '.length).trim())) {
          fail(peerAddress(req));
          return null;
        }
        return { name: config.CONSOLE_TOKEN_PRINCIPAL, via: 'bearer', key: 'bearer', csrf: null };
      }
      const sid = sessionOf(req);
      if (sid === null) return null;
      return { name: config.CONSOLE_TOKEN_PRINCIPAL, via: 'session', key: `session:${sid}`, csrf: mac(`csrf:${sid}`) };
    },
    login(req, token) {
      if (config.CONSOLE_AUTH !== 'token' || !tokenMatches(token)) {
        fail(peerAddress(req));
        return null;
      }
      const sid = randomBytes(18).toString('base64url');
      if (sessions.size >= MAX_SESSIONS) sessions.delete(sessions.keys().next().value!);
      sessions.set(sid, now() + SESSION_TTL_MS);
      const value = `${sid}.${mac(`session:${sid}`)}`;
      return { cookie: `${SESSION_COOKIE}=${value}; ${cookieAttributes}; Max-Age=${SESSION_TTL_MS / 1000}` };
    },
    throttled(req) {
      return recentFailures(peerAddress(req)).length >= MAX_FAILURES_PER_MINUTE;
    },
    logout(req) {
      const sid = sessionOf(req);
      if (sid !== null) sessions.delete(sid);
      return `${SESSION_COOKIE}=; ${cookieAttributes}; Max-Age=0`;
    },
  };
}

/** Constant-time comparison of two texts (different lengths are simply unequal). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.byteLength === y.byteLength && timingSafeEqual(x, y);
}

function readCookie(req: IncomingMessage, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/**
 * CSRF (every POST but /login): the `x-csrf-token` header must be the
 * principal's token, and an `Origin` header, when the browser sends one,
 * must name this console's host. Bearer requests carry no ambient credential
 * a foreign page could ride on, so they are exempt.
 */
export function csrfAccepted(req: IncomingMessage, principal: Principal, trustedForwardedHost: boolean): boolean {
  if (principal.via === 'bearer') return true;
  if (!sameOrigin(req, trustedForwardedHost)) return false;
  const sent = req.headers['x-csrf-token'];
  return typeof sent === 'string' && principal.csrf !== null && safeEqual(sent, principal.csrf);
}

/**
 * Whether a request comes from the console's own pages. `Sec-Fetch-Site`
 * (every current browser) must be same-origin (or `none`: typed by the user);
 * an `Origin` header must name this console's host. `Origin: null` decides
 * nothing: with `Referrer-Policy: no-referrer` a browser sends exactly that on
 * the console's own POSTs — the CSRF token and SameSite=Strict still stand.
 * No header at all (a script, an old browser) passes: the token decides.
 */
export function sameOrigin(req: IncomingMessage, trustedForwardedHost: boolean): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = req.headers.origin;
  if (origin === undefined || origin === 'null') return true;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return false;
  }
  const own = [req.headers.host];
  // behind a trusted proxy the browser's host may arrive as X-Forwarded-Host
  if (trustedForwardedHost) own.push(...String(req.headers['x-forwarded-host'] ?? '').split(','));
  return own.some((h) => h !== undefined && h.trim() !== '' && h.trim().toLowerCase() === host.toLowerCase());
}
