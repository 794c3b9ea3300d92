import { describe, expect, it } from 'vitest';
import { pgErrorClass, pgErrorCode } from './errors.ts';

const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });
/** what MikroORM throws: its own error with the driver's as the cause (the code sometimes only there) */
const wrapped = (inner: Error) => new Error('DriverException', { cause: inner });

describe('PostgreSQL error classes', () => {
  it.each([
    ['08006 connection failure', pgError('08006'), 'unavailable'],
    ['57P01 admin shutdown', pgError('57P01'), 'unavailable'],
    ['57P03 cannot connect now', pgError('57P03'), 'unavailable'],
    ['53300 too many connections', pgError('53300'), 'unavailable'],
    ['ECONNREFUSED', pgError('ECONNREFUSED'), 'unavailable'],
    ['ECONNRESET', pgError('ECONNRESET'), 'unavailable'],
    ["pg's codeless connect timeout", new Error('timeout exceeded when trying to connect'), 'unavailable'],
    ["pg's codeless terminated connection", new Error('Connection terminated unexpectedly'), 'unavailable'],
    ['22P05 untranslatable character (a NUL in jsonb)', pgError('22P05'), 'data'],
    ['22007 invalid datetime format', pgError('22007'), 'data'],
    ['23505 unique violation', pgError('23505'), 'data'],
    ['42501 insufficient privilege', pgError('42501'), 'permission'],
    ['28P01 password authentication failed', pgError('28P01'), 'permission'],
    ['42P01 undefined table', pgError('42P01'), 'other'],
    ['57014 query cancelled', pgError('57014'), 'other'],
    ['a plain error', new Error('boom'), 'other'],
    ['not an error at all', 'boom', 'other'],
  ])('%s → %s', (_, err, expected) => {
    expect(pgErrorClass(err)).toBe(expected);
  });

  it('reads the code through MikroORM wrappers (the cause chain), the outermost code first', () => {
    expect(pgErrorCode(wrapped(pgError('23505')))).toBe('23505');
    expect(pgErrorClass(wrapped(wrapped(pgError('08001'))))).toBe('unavailable');
    expect(pgErrorCode(Object.assign(wrapped(pgError('23505')), { code: '22P02' }))).toBe('22P02');
    expect(pgErrorCode(new Error('no code'))).toBeUndefined();
  });
});
