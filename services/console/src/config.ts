import { isIP } from 'node:net';
import { type Env, intKey, loadConfig, sharedKeys } from '@ops/config';
import { z } from 'zod';

/** the console has no database: DATABASE_URL is not one of its keys */
const { DATABASE_URL: _noDatabase, ...natsKeys } = sharedKeys;

const boolKey = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(def ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** console configuration: the shared NATS keys plus its own (docs/console.md lists them). */
export const consoleConfigSchema = z
  .object({
    ...natsKeys,
    CONSOLE_HOST: z
      .string()
      .refine((h) => isIP(h) !== 0 || /^[A-Za-z0-9.-]{1,253}$/.test(h), 'must be an IP address or a host name')
      .default('127.0.0.1')
      .describe('address the console listens on (127.0.0.1: reachable from this machine only; 0.0.0.0 behind a proxy or in a pod)'),
    CONSOLE_PORT: intKey(8084, 0, 65535).describe('HTTP port of the console (pages, API, /healthz, /readyz)'),
    CONSOLE_AUTH: z
      .enum(['token', 'proxy'])
      .default('token')
      .describe('token: an operator token from a Secret; proxy: a trusted auth proxy sets the user header'),
    CONSOLE_TOKEN: z.string().default('').describe('the operator token (token mode, at least 24 characters, from a Secret; never logged)'),
    CONSOLE_TOKEN_PRINCIPAL: z
      .string()
      .regex(/^[\w.@+-]{1,200}$/, 'must be 1-200 characters of letters, digits and . _ @ + -')
      .default('operator')
      .describe("the actor name of the token's holder (recorded with every action)"),
    CONSOLE_PROXY_USER_HEADER: z
      .string()
      .regex(/^[A-Za-z0-9-]{1,64}$/, 'must be an HTTP header name')
      .default('x-forwarded-user')
      .transform((h) => h.toLowerCase())
      .describe('proxy mode: the header carrying the authenticated user (oauth2-proxy: X-Forwarded-User or X-Forwarded-Email)'),
    CONSOLE_TRUSTED_PROXIES: z
      .string()
      .default('127.0.0.1,::1')
      .transform((s) =>
        s
          .split(',')
          .map((p) => p.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.string().refine((ip) => isIP(ip) !== 0, 'must be IP addresses, comma-separated')).min(1))
      .describe('proxy mode: peer IPs whose user header is trusted, comma-separated'),
    CONSOLE_SECURE_COOKIE: boolKey(false).describe('mark the session cookie Secure (true when the console is served over HTTPS)'),
    CONSOLE_LIVE_MS: intKey(1_000, 100, 60_000).describe('how often a live view (Server-Sent Events) re-reads its data (ms)'),
    CONSOLE_LIVE_MAX: intKey(20, 1, 200).describe('live views one session may hold open at once'),
  })
  .superRefine((c, ctx) => {
    // a short token is guessable; the value itself never appears in the message
    if (c.CONSOLE_AUTH === 'token' && c.CONSOLE_TOKEN.length < 24) {
      ctx.addIssue({
        code: 'custom',
        path: ['CONSOLE_TOKEN'],
        message: 'is required in token mode (CONSOLE_AUTH=token), at least 24 characters',
      });
    }
  });
export type ConsoleConfig = z.infer<typeof consoleConfigSchema>;

export function loadConsoleConfig(env?: Env): Readonly<ConsoleConfig> {
  return loadConfig(consoleConfigSchema, env);
}
