import { isoDateTime, OpsError } from '@ops/contracts';

/** Keyset cursor of list_runs: the (created_at, id) of the last row of a page, opaque to callers. */
export interface Cursor {
  readonly createdAt: string;
  readonly id: string;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.id])).toString('base64url');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function decodeCursor(value: string): Cursor {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2) {
      const [createdAt, id] = parsed as [unknown, unknown];
      // the same timestamp rule as every message: a date PostgreSQL would refuse is a bad cursor, not an internal error
      const at = isoDateTime.safeParse(createdAt);
      // the text itself, not the parsed value: the cursor keeps PostgreSQL's microseconds
      if (at.success && typeof id === 'string' && UUID.test(id)) {
        return { createdAt: createdAt as string, id };
      }
    }
  } catch {
    // fall through
  }
  throw new OpsError('bad_request', 'invalid cursor: pass back next_cursor unchanged', { issues: ['cursor: invalid'] });
}

/**
 * Keyset cursor of list_active_runs: the (rank, quiet-since, id) of the last
 * row of a page — running runs (rank 0) before queued ones (rank 1), each the
 * longest quiet first — opaque to callers.
 */
export interface ActiveCursor {
  readonly rank: 0 | 1;
  readonly quietSince: string;
  readonly id: string;
}

export function encodeActiveCursor(cursor: ActiveCursor): string {
  return Buffer.from(JSON.stringify([cursor.rank, cursor.quietSince, cursor.id])).toString('base64url');
}

export function decodeActiveCursor(value: string): ActiveCursor {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 3) {
      const [rank, quietSince, id] = parsed as [unknown, unknown, unknown];
      const at = isoDateTime.safeParse(quietSince);
      if ((rank === 0 || rank === 1) && at.success && typeof id === 'string' && UUID.test(id)) {
        return { rank, quietSince: quietSince as string, id };
      }
    }
  } catch {
    // fall through
  }
  throw new OpsError('bad_request', 'invalid cursor: pass back next_cursor unchanged', { issues: ['cursor: invalid'] });
}
