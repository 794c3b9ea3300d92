import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { boolKey, ConfigError, describeKeys, intKey, loadConfig } from './load-config.ts';
import { sharedKeys } from './shared-keys.ts';

const schema = z.object(sharedKeys);

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig with the shared keys', () => {
  it('applies the defaults to an empty environment', () => {
    expect(loadConfig(schema, {})).toEqual({
      NATS_URL: ['nats://127.0.0.1:4222'],
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/ops',
      NATS_USER: '',
      NATS_PASSWORD: '',
      NATS_PREFIX: '',
      LOG_LEVEL: 'info',
      NATS_REPLICAS: 1,
      NODE_ENV: 'development',
    });
  });

  it('splits a comma-separated NATS_URL and drops blanks', () => {
    const config = loadConfig(schema, { NATS_URL: 'nats://a:4222, tls://b:4222 ,,wss://c:443,' });
    expect(config.NATS_URL).toEqual(['nats://a:4222', 'tls://b:4222', 'wss://c:443']);
  });

  it('reads the values that are set', () => {
    const config = loadConfig(schema, {
      DATABASE_URL: 'postgresql://ledger:pw@db:5432/ops',
      NATS_PREFIX: 'ci_7',
      LOG_LEVEL: 'debug',
      NATS_REPLICAS: '3',
      NODE_ENV: 'production',
    });
    expect(config).toMatchObject({
      DATABASE_URL: 'postgresql://ledger:pw@db:5432/ops',
      NATS_PREFIX: 'ci_7',
      LOG_LEVEL: 'debug',
      NATS_REPLICAS: 3,
      NODE_ENV: 'production',
    });
  });

  it('treats an empty string like an unset variable', () => {
    const config = loadConfig(schema, { NATS_URL: '', DATABASE_URL: '', LOG_LEVEL: '', NATS_REPLICAS: '' });
    expect(config.NATS_URL).toEqual(['nats://127.0.0.1:4222']);
    expect(config.DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/ops');
    expect(config.LOG_LEVEL).toBe('info');
    expect(config.NATS_REPLICAS).toBe(1);
  });

  it('ignores variables the schema does not declare', () => {
    const config = loadConfig(schema, { HOME: '/root', GRAPH_CLIENT_SECRET: 'x' }) as Record<string, unknown>;
    expect(config).not.toHaveProperty('HOME');
    expect(config).not.toHaveProperty('GRAPH_CLIENT_SECRET');
  });

  it('reports several bad keys at once, one problem per key', () => {
    const err = configError(() => loadConfig(schema, { LOG_LEVEL: 'loud', NATS_PREFIX: 'a.b', NATS_REPLICAS: '9', NODE_ENV: 'prod' }));
    expect(err.problems).toHaveLength(4);
    const keys = err.problems.map((p) => p.split(':')[0]);
    expect(keys.sort()).toEqual(['LOG_LEVEL', 'NATS_PREFIX', 'NATS_REPLICAS', 'NODE_ENV']);
    for (const problem of err.problems) expect(err.message).toContain(problem);
    expect(err.name).toBe('ConfigError');
  });

  it('reports a bad NATS_URL entry by key and position', () => {
    const err = configError(() => loadConfig(schema, { NATS_URL: 'http://nats:4222' }));
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toMatch(/^NATS_URL\.0: /);
  });

  it('reports a NATS_URL made only of separators', () => {
    const err = configError(() => loadConfig(schema, { NATS_URL: ' , ,' }));
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toMatch(/^NATS_URL: /);
  });

  it('never echoes a bad DATABASE_URL value containing a password', () => {
    const password = 'Hunter2-Sup3r-Secret';
    const err = configError(() => loadConfig(schema, { DATABASE_URL: `mysql://ops:${password}@db.internal:3306/ops`, LOG_LEVEL: 'loud' }));
    expect(err.problems).toHaveLength(2);
    expect(err.problems.some((p) => p.startsWith('DATABASE_URL: '))).toBe(true);
    expect(err.message).not.toContain(password);
    expect(err.message).not.toContain('db.internal');
    expect(err.problems.join('\n')).not.toContain(password);
  });

  it('returns a frozen object', () => {
    const config = loadConfig(schema, {});
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as { LOG_LEVEL: string }).LOG_LEVEL = 'trace';
    }).toThrow(TypeError);
  });
});

describe('intKey and boolKey', () => {
  const extra = z.object({ N: intKey(5, 1, 10), FLAG: boolKey(false), ON: boolKey(true) });

  it('coerces integers and booleans and applies their defaults', () => {
    expect(loadConfig(extra, {})).toEqual({ N: 5, FLAG: false, ON: true });
    expect(loadConfig(extra, { N: '7', FLAG: 'yes', ON: '0' })).toEqual({ N: 7, FLAG: true, ON: false });
  });

  it('refuses out-of-range, fractional and non-boolean values together', () => {
    const err = configError(() => loadConfig(extra, { N: '11', FLAG: 'maybe', ON: 'TRUE' }));
    expect(err.problems.map((p) => p.split(':')[0]).sort()).toEqual(['FLAG', 'N', 'ON']);
    expect(configError(() => loadConfig(extra, { N: '2.5' })).problems).toHaveLength(1);
  });
});

describe('describeKeys', () => {
  const described = describeKeys(schema);

  it('lists every shared key once', () => {
    expect(described.map((d) => d.key)).toEqual(Object.keys(sharedKeys));
  });

  it('gives the keys a description', () => {
    for (const entry of described) {
      expect(entry.description, entry.key).not.toBe('');
    }
  });

  it('renders the defaults as strings', () => {
    const defaults = Object.fromEntries(described.map((d) => [d.key, d.default]));
    expect(defaults).toEqual({
      NATS_URL: 'nats://127.0.0.1:4222',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/ops',
      NATS_USER: '',
      NATS_PASSWORD: '',
      NATS_PREFIX: '',
      LOG_LEVEL: 'info',
      NATS_REPLICAS: '1',
      NODE_ENV: 'development',
    });
  });
});
