import { ConfigError } from '@ops/config';
import { describe, expect, it } from 'vitest';
import { loadConsoleConfig } from '../src/config.ts';

const TOKEN = 'a-token-of-at-least-24-characters';

function problems(env: Record<string, string>): string[] {
  try {
    loadConsoleConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return [...(err as ConfigError).problems];
  }
  throw new Error('expected a ConfigError');
}

describe('console configuration', () => {
  it('defaults: 127.0.0.1:8084, token mode, x-forwarded-user from 127.0.0.1 and ::1, cookie not Secure', () => {
    expect(loadConsoleConfig({ CONSOLE_TOKEN: TOKEN })).toMatchObject({
      CONSOLE_HOST: '127.0.0.1',
      CONSOLE_PORT: 8084,
      CONSOLE_AUTH: 'token',
      CONSOLE_TOKEN_PRINCIPAL: 'operator',
      CONSOLE_PROXY_USER_HEADER: 'x-forwarded-user',
      CONSOLE_TRUSTED_PROXIES: ['127.0.0.1', '::1'],
      CONSOLE_SECURE_COOKIE: false,
      CONSOLE_LIVE_MS: 1000,
    });
  });

  it('token mode needs a token of 24 characters or more; proxy mode none; the value is never in the message', () => {
    expect(problems({})).toEqual([expect.stringMatching(/^CONSOLE_TOKEN: /)]);
    const short = problems({ CONSOLE_TOKEN: 'tiny-secret' });
    expect(short.join('\n')).not.toContain('tiny-secret');
    expect(loadConsoleConfig({ CONSOLE_AUTH: 'proxy', CONSOLE_PROXY_USER_HEADER: 'X-Forwarded-Email' }).CONSOLE_PROXY_USER_HEADER).toBe(
      'x-forwarded-email',
    );
  });

  it('reports each bad key by name', () => {
    const keys = problems({
      CONSOLE_TOKEN: TOKEN,
      CONSOLE_PORT: '99999',
      CONSOLE_AUTH: 'basic',
      CONSOLE_TRUSTED_PROXIES: '10.0.0.1,proxy',
      CONSOLE_SECURE_COOKIE: 'maybe',
    }).map((p) => p.split(/[.:]/)[0]);
    expect(keys.sort()).toEqual(['CONSOLE_AUTH', 'CONSOLE_PORT', 'CONSOLE_SECURE_COOKIE', 'CONSOLE_TRUSTED_PROXIES']);
  });
});
