import type { EntityManager, PostgreSqlConnection } from '@mikro-orm/postgresql';
import type { LedgerEventV1, OpsError } from '@ops/contracts';
import type { Pool } from 'pg';
import { applyEvent, type IgnoreReason, type RunState } from '../domain/apply-event.ts';
import { decodeActiveCursor, decodeCursor, encodeActiveCursor, encodeCursor } from '../domain/cursor.ts';
import { RUN_COLUMNS } from '../sql/run-columns.ts';
import { type EnsureCommand, type EnsureResult, ensureRuns } from './ensure-runs.ts';
import type { RunRow } from './run-view.ts';
import { pgBigint, pgTimestamp, uuidArray } from './sql-values.ts';

/**
 * The write path of operation_runs — the ONLY one in the system (a test
 * fails if another package reaches it; the database grants forbid it too).
 * Everything goes through MikroORM's EntityManager; the statements are raw
 * SQL because the guarantees live in them: ON CONFLICT against the partial
 * unique indexes, row locks in id order, one UPDATE per event batch.
 */

export interface ListQuery {
  readonly workspaceId: string;
  readonly tenantId?: string | undefined;
  readonly type?: string | undefined;
  readonly status?: string | undefined;
  readonly createdAfter?: string | undefined;
  readonly createdBefore?: string | undefined;
  readonly limit: number;
  readonly cursor?: string | undefined;
}

export interface PendingEvent {
  readonly event: LedgerEventV1;
  readonly streamSeq: number;
}

export type EventOutcome =
  | { readonly result: 'applied' }
  | { readonly result: 'ignored'; readonly reason: IgnoreReason }
  | { readonly result: 'unknown_run' };

/** how often applyEvents reads again rows another writer changed under it before the batch is nak-ed */
const APPLY_ROUNDS = 10;

/** running runs (0) before queued ones (1): a stuck running run is never starved by a queued backlog */
const ACTIVE_RANK = "(CASE WHEN status = 'running' THEN 0 ELSE 1 END)";

/**
 * A page's sort timestamp as text with PostgreSQL's full (microsecond)
 * precision: a cursor built from a JS Date would cut it to milliseconds and
 * hand a row written by anything but the ledger (a restore, a migration)
 * back on the next page.
 */
const pageAt = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS page_at`;

/** A row of a paged listing: the run and its sort timestamp (`pageAt`). */
export type PagedRow = RunRow & { readonly page_at: string };

/** The keyset cursor after a row of list_runs. */
export function cursorAfterRun(row: PagedRow): string {
  return encodeCursor({ createdAt: row.page_at, id: row.id });
}

/** The keyset cursor after a row of list_active_runs. */
export function cursorAfterActive(row: PagedRow): string {
  return encodeActiveCursor({ rank: row.status === 'running' ? 0 : 1, quietSince: row.page_at, id: row.id });
}

export interface RunsRepository {
  /** ensure_run for a batch of requests: index-aligned outcomes, an OpsError for a request refused alone (ensure-runs.ts) */
  ensureRuns(commands: readonly EnsureCommand[], now: Date): Promise<Array<EnsureResult | OpsError>>;
  /** the generation of the run's job the ledger stored (0: none stored) */
  setJobGeneration(runId: string, generation: number): Promise<void>;
  /** a queued run's next job generation (housekeeping's re-publish), or null when it is not queued (or not in the workspace) */
  nextJobGeneration(workspaceId: string, runId: string, now: Date): Promise<RunRow | null>;
  getRun(workspaceId: string, runId: string): Promise<RunRow | null>;
  /** dedupe_hits + 1 on a run (a worker skipped a duplicate job of it) */
  recordDuplicate(workspaceId: string, runId: string, now: Date): Promise<RunRow | null>;
  /** up to `limit` rows, newest first, and whether more follow (page them with `cursorAfterRun` of the last row used) */
  listRuns(query: ListQuery): Promise<{ rows: PagedRow[]; hasMore: boolean }>;
  /** queued/running runs of a workspace with no sign of life since `quietSince`, oldest first */
  /** running runs first, then queued, each the longest quiet first; page with `cursorAfterActive` of the last row used */
  listActiveRuns(workspaceId: string, quietSince: string, limit: number, cursor?: string): Promise<{ rows: PagedRow[]; hasMore: boolean }>;
  listWorkspaces(): Promise<Array<{ id: string; slug: string }>>;
  /** Applies a batch of events: one read, one conditional write (rows changed meanwhile are decided again); outcomes are index-aligned with the input. */
  applyEvents(events: readonly PendingEvent[], now: Date): Promise<EventOutcome[]>;
}

type Row = RunRow & Record<string, unknown>;

export interface RunsRepositoryOptions {
  /** rows applyEvents had to read again because another writer changed them between its read and its write */
  readonly onReread?: (rows: number) => void;
}

export function createRunsRepository(em: EntityManager, options: RunsRepositoryOptions = {}): RunsRepository {
  // outside a transaction every call gets its own fork (no global context);
  // inside one, the transaction's EntityManager itself (a fork would escape it)
  const exec = <T = Row[]>(sql: string, params: unknown[] = [], tx?: EntityManager) =>
    (tx ?? em.fork()).execute(sql, params as unknown[]) as Promise<T>;
  // the pg pool under MikroORM: prepared statements (sql/statement.ts) run on it
  let pool: Promise<Pool> | undefined;
  const nativePool = () => {
    pool ??= (em.getConnection() as PostgreSqlConnection).getNativeClient();
    return pool;
  };

  async function getRun(workspaceId: string, runId: string): Promise<RunRow | null> {
    const [row] = await exec(`SELECT ${RUN_COLUMNS} FROM operation_runs WHERE id = ? AND workspace_id = ?`, [runId, workspaceId]);
    return row ?? null;
  }

  async function recordDuplicate(workspaceId: string, runId: string, now: Date): Promise<RunRow | null> {
    const [row] = await exec(
      `UPDATE operation_runs SET dedupe_hits = dedupe_hits + 1, updated_at = ? WHERE id = ? AND workspace_id = ? RETURNING ${RUN_COLUMNS}`,
      [now, runId, workspaceId],
    );
    return row ?? null;
  }

  async function listRuns(query: ListQuery): Promise<{ rows: PagedRow[]; hasMore: boolean }> {
    const where = ['workspace_id = ?'];
    const params: unknown[] = [query.workspaceId];
    const add = (clause: string, value: unknown) => {
      where.push(clause);
      params.push(value);
    };
    if (query.tenantId) add('tenant_id = ?', query.tenantId);
    if (query.type) add('type = ?', query.type);
    if (query.status) add('status = ?', query.status);
    if (query.createdAfter) add('created_at >= ?::timestamptz', query.createdAfter);
    if (query.createdBefore) add('created_at < ?::timestamptz', query.createdBefore);
    if (query.cursor) {
      const c = decodeCursor(query.cursor);
      where.push('(created_at, id) < (?::timestamptz, ?::uuid)');
      params.push(c.createdAt, c.id);
    }
    params.push(query.limit + 1);
    const rows = await exec<PagedRow[]>(
      `SELECT ${RUN_COLUMNS}, ${pageAt('created_at')} FROM operation_runs
        WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT ?`,
      params,
    );
    return { rows: rows.slice(0, query.limit), hasMore: rows.length > query.limit };
  }

  async function listActiveRuns(
    workspaceId: string,
    quietSince: string,
    limit: number,
    cursor?: string,
  ): Promise<{ rows: PagedRow[]; hasMore: boolean }> {
    const after = cursor ? decodeActiveCursor(cursor) : null;
    const rows = await exec<PagedRow[]>(
      `SELECT ${RUN_COLUMNS}, ${pageAt('coalesce(last_event_at, created_at)')} FROM operation_runs
        WHERE workspace_id = ? AND status IN ('queued', 'running')
          AND coalesce(last_event_at, created_at) < ?::timestamptz
          ${after ? `AND (${ACTIVE_RANK}, coalesce(last_event_at, created_at), id) > (?, ?::timestamptz, ?::uuid)` : ''}
        ORDER BY ${ACTIVE_RANK}, coalesce(last_event_at, created_at), id LIMIT ?`,
      [workspaceId, quietSince, ...(after ? [after.rank, after.quietSince, after.id] : []), limit + 1],
    );
    return { rows: rows.slice(0, limit), hasMore: rows.length > limit };
  }

  async function listWorkspaces(): Promise<Array<{ id: string; slug: string }>> {
    return exec<Array<{ id: string; slug: string }>>('SELECT id, slug FROM workspaces ORDER BY slug');
  }

  /**
   * A batch in two statements, no transaction (issue #18): read the rows,
   * decide every event in the domain (`applyEvent`, in batch order), write
   * every changed row with ONE conditional UPDATE — only where the row still
   * is what was read (its last applied event, attempt, seq, status, heal
   * flag). A row another writer changed meanwhile (another ledger replica) is
   * read again and its events decided again; applying is idempotent, so a
   * batch that fails half-way and is redelivered changes nothing twice.
   */
  async function applyEvents(events: readonly PendingEvent[], now: Date): Promise<EventOutcome[]> {
    const outcomes: EventOutcome[] = new Array<EventOutcome>(events.length);
    let open = events.map((_, i) => i);
    for (let round = 0; open.length > 0; round += 1) {
      if (round >= APPLY_ROUNDS) throw new Error(`ledger rows kept changing under ${open.length} events: batch retried later`);
      const ids = [...new Set(open.map((i) => events[i]!.event.run_id))];
      const rows = await exec(`SELECT ${RUN_COLUMNS} FROM operation_runs WHERE id = ANY(?::uuid[])`, [uuidArray(ids)]);
      const states = new Map<string, { workspaceId: string; read: RunState; state: RunState; dirty: boolean }>();
      for (const row of rows) {
        const read = toState(row);
        states.set(row.id, { workspaceId: row.workspace_id, read, state: read, dirty: false });
      }
      for (const i of open) {
        const { event, streamSeq } = events[i]!;
        const entry = states.get(event.run_id);
        // another workspace's run is as unknown as a missing one (tenant isolation)
        if (!entry || entry.workspaceId !== event.workspace_id) {
          outcomes[i] = { result: 'unknown_run' };
          continue;
        }
        const result = applyEvent(entry.state, event, streamSeq, now);
        if (!result.applied) {
          outcomes[i] = { result: 'ignored', reason: result.reason };
          continue;
        }
        entry.state = result.state;
        entry.dirty = true;
        outcomes[i] = { result: 'applied' };
      }
      const dirty = [...states.entries()].filter(([, e]) => e.dirty);
      if (dirty.length === 0) break;
      const written = await exec<Array<{ id: string }>>(
        `UPDATE operation_runs AS r SET
           status = x.status, outcome = x.outcome, attempt = x.attempt, event_seq = x.event_seq,
           summary_counts = x.summary_counts, failure_summary = x.failure_summary,
           started_at = x.started_at, completed_at = x.completed_at, last_event_at = x.last_event_at,
           last_event_stream_seq = x.last_event_stream_seq, closed_by_heal = x.closed_by_heal, updated_at = ?
         FROM jsonb_to_recordset(?::jsonb) AS x(
           id uuid, status text, outcome text, attempt integer, event_seq integer, summary_counts jsonb,
           failure_summary jsonb, started_at timestamptz, completed_at timestamptz, last_event_at timestamptz,
           last_event_stream_seq bigint, closed_by_heal boolean,
           read_status text, read_attempt integer, read_event_seq integer, read_stream_seq bigint, read_heal boolean)
         WHERE r.id = x.id
           AND r.status = x.read_status AND r.attempt = x.read_attempt AND r.event_seq = x.read_event_seq
           AND r.last_event_stream_seq IS NOT DISTINCT FROM x.read_stream_seq AND r.closed_by_heal = x.read_heal
         RETURNING r.id`,
        [
          now,
          JSON.stringify(
            dirty.map(([id, e]) => ({
              id,
              ...e.state,
              read_status: e.read.status,
              read_attempt: e.read.attempt,
              read_event_seq: e.read.event_seq,
              read_stream_seq: e.read.last_event_stream_seq,
              read_heal: e.read.closed_by_heal,
            })),
          ),
        ],
      );
      // the rows someone else wrote in between: their events are decided again on what is there now
      const done = new Set(written.map((w) => w.id));
      const lost = new Set(dirty.map(([id]) => id).filter((id) => !done.has(id)));
      if (lost.size > 0) options.onReread?.(lost.size);
      open = open.filter((i) => lost.has(events[i]!.event.run_id));
    }
    return outcomes;
  }

  async function setJobGeneration(runId: string, generation: number): Promise<void> {
    await exec('UPDATE operation_runs SET job_generation = ? WHERE id = ?', [generation, runId]);
  }

  async function nextJobGeneration(workspaceId: string, runId: string, now: Date): Promise<RunRow | null> {
    const [row] = await exec(
      `UPDATE operation_runs SET job_generation = job_generation + 1, updated_at = ?
        WHERE id = ? AND workspace_id = ? AND status = 'queued' AND tenant_id IS NOT NULL RETURNING ${RUN_COLUMNS}`,
      [now, runId, workspaceId],
    );
    return row ?? null;
  }

  return {
    ensureRuns: async (commands, now) => ensureRuns(await nativePool(), commands, now, getRun),
    setJobGeneration,
    nextJobGeneration,
    getRun,
    recordDuplicate,
    listRuns,
    listActiveRuns,
    listWorkspaces,
    applyEvents,
  };
}

function toState(row: RunRow): RunState {
  return {
    status: row.status as RunState['status'],
    outcome: row.outcome as RunState['outcome'],
    attempt: row.attempt,
    event_seq: row.event_seq,
    summary_counts: row.summary_counts,
    failure_summary: row.failure_summary as RunState['failure_summary'],
    started_at: pgTimestamp(row.started_at),
    completed_at: pgTimestamp(row.completed_at),
    last_event_at: pgTimestamp(row.last_event_at),
    last_event_stream_seq: pgBigint(row.last_event_stream_seq),
    closed_by_heal: row.closed_by_heal,
  };
}
