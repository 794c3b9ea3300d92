import { isoDateTime, OpsError } from '@ops/contracts';

/**
 * Keyset cursor of get_run_timeline: the (at, k) of the last entry of a page
 * (sql/run-timeline.ts), opaque to callers. `at` keeps PostgreSQL's
 * microseconds; `k` is '0' + a 19-digit event row id or '1' + an action's uuid.
 */
export interface TimelineCursor {
  readonly at: string;
  readonly k: string;
}

const KEY = /^(0\d{19}|1[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

export function encodeTimelineCursor(cursor: TimelineCursor): string {
  return Buffer.from(JSON.stringify([cursor.at, cursor.k])).toString('base64url');
}

export function decodeTimelineCursor(value: string): TimelineCursor {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2) {
      const [at, k] = parsed as [unknown, unknown];
      // a date PostgreSQL would refuse is a bad cursor, not an internal error; the text itself keeps the microseconds
      if (isoDateTime.safeParse(at).success && typeof k === 'string' && KEY.test(k)) return { at: at as string, k };
    }
  } catch {
    // fall through
  }
  throw new OpsError('bad_request', 'invalid cursor: pass back next_cursor unchanged', { issues: ['cursor: invalid'] });
}
