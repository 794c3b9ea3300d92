import { OpsError } from '@ops/contracts';
import { describe, expect, it } from 'vitest';
import { type Cursor, decodeActiveCursor, decodeCursor, encodeActiveCursor, encodeCursor } from './cursor.ts';

const ID = '0d9f1c3e-5b7a-4c2d-8e6f-1a2b3c4d5e6f';
const cursor: Cursor = { createdAt: '2026-03-01T12:34:56.789Z', id: ID };

/** the cursor a caller would send for this JSON value */
const raw = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

function rejection(value: string): unknown {
  try {
    decodeCursor(value);
  } catch (err) {
    return err;
  }
  throw new Error(`accepted ${value}`);
}

describe('list_runs cursor', () => {
  it('round-trips: decoding an encoded cursor gives back its created_at and id', () => {
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
  });

  it('is opaque URL-safe text (base64url of the pair), so callers pass it back unchanged', () => {
    const encoded = encodeCursor(cursor);
    expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(encoded).not.toContain(ID);
  });

  it.each([
    ['empty', ''],
    ['not base64 JSON', 'not-a-cursor'],
    ['an object, not a pair', raw({ createdAt: cursor.createdAt, id: ID })],
    ['one element', raw([cursor.createdAt])],
    ['three elements', raw([cursor.createdAt, ID, 'x'])],
    ['numbers', raw([1, 2])],
    ['an id that is not a UUID', raw([cursor.createdAt, 'not-a-uuid'])],
    ['an id that is not a string', raw([cursor.createdAt, 42])],
    ['a created_at that is not a timestamp', raw(['yesterday', ID])],
  ])('rejects a garbage cursor (%s) as bad_request, without echoing it', (_what, value) => {
    const err = rejection(value);
    expect(err).toBeInstanceOf(OpsError);
    expect(err).toMatchObject({ code: 'bad_request', issues: ['cursor: invalid'] });
    expect((err as Error).message).toBe('invalid cursor: pass back next_cursor unchanged');
  });

  it('rejects a tampered cursor: cut short, or with a character changed', () => {
    const encoded = encodeCursor(cursor);
    expect(rejection(encoded.slice(0, -3))).toBeInstanceOf(OpsError);
    expect(rejection(`${encoded.slice(0, 10)}!${encoded.slice(11)}`)).toBeInstanceOf(OpsError);
  });

  it('is a position, not a credential: an edited but well-formed pair decodes to the position it names', () => {
    const other = '9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d';
    expect(decodeCursor(raw(['2026-01-01T00:00:00.000Z', other]))).toEqual({ createdAt: '2026-01-01T00:00:00.000Z', id: other });
  });

  describe('the timestamp rule of every message applies to created_at', () => {
    it('a timestamp with an offset is accepted as written (PostgreSQL reads the offset)', () => {
      expect(decodeCursor(raw(['2026-03-01T14:34:56.789+02:00', ID])).createdAt).toBe('2026-03-01T14:34:56.789+02:00');
    });

    it("microseconds are kept: a cursor cut to milliseconds would hand a row back, or skip one (the ledger's page keys are PostgreSQL's)", () => {
      expect(decodeCursor(raw(['2026-03-01T12:34:56.789123Z', ID])).createdAt).toBe('2026-03-01T12:34:56.789123Z');
    });

    it('the range ends are accepted: 1970-01-01 and 9999-12-31', () => {
      expect(decodeCursor(raw(['1970-01-01T00:00:00Z', ID])).createdAt).toBe('1970-01-01T00:00:00Z');
      expect(decodeCursor(raw(['9999-12-31T23:59:59.999Z', ID])).createdAt).toBe('9999-12-31T23:59:59.999Z');
    });

    it.each([
      ['without a zone offset', '2026-03-01T12:34:56'],
      ['a date only', '2026-03-01'],
      ['before 1970', '1969-12-31T23:59:59.999Z'],
      ['past year 9999', '+010000-01-01T00:00:00Z'],
      ['an impossible date', '2026-02-30T00:00:00Z'],
    ])('a created_at PostgreSQL would refuse or misread (%s) is a bad cursor, not an internal error', (_what, createdAt) => {
      expect(rejection(raw([createdAt, ID]))).toMatchObject({ code: 'bad_request' });
    });
  });
});

describe('list_active_runs cursor', () => {
  it('round-trips (rank, quiet-since with microseconds, id)', () => {
    const c = { rank: 0 as const, quietSince: '2026-03-01T12:34:56.789123Z', id: ID };
    expect(decodeActiveCursor(encodeActiveCursor(c))).toEqual(c);
  });

  it.each([
    ['a rank other than 0 or 1', raw([2, '2026-03-01T12:34:56Z', ID])],
    ['a list_runs cursor', encodeCursor(cursor)],
    ['a quiet-since that is not a timestamp', raw([1, 'soon', ID])],
    ['an id that is not a UUID', raw([1, '2026-03-01T12:34:56Z', 'x'])],
  ])('rejects %s as bad_request', (_what, value) => {
    expect(() => decodeActiveCursor(value)).toThrow(OpsError);
  });
});
