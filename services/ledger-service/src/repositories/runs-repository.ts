import type { EntityManager, PostgreSqlConnection } from '@mikro-orm/postgresql';
import type { LedgerEventV1, OpsError } from '@ops/contracts';
import type { Pool } from 'pg';
import { applyEvent, type IgnoreReason, type RunState } from '../domain/apply-event.ts';
import { decodeActiveCursor, decodeCursor, encodeActiveCursor, encodeCursor } from '../domain/cursor.ts';
import { recordsIgnored, type TimelineRow, timelineRow } from '../domain/timeline.ts';
import { decodeTimelineCursor, encodeTimelineCursor } from '../domain/timeline-cursor.ts';
import { READ_RUNS, WRITE_RUNS } from '../sql/apply-events.ts';
import { GET_RUN } from '../sql/get-run.ts';
import { NEXT_JOB_GENERATION, SET_JOB_GENERATION } from '../sql/job-generation.ts';
import { LIST_ACTIVE_RUNS } from '../sql/list-active-runs.ts';
import { LIST_RUNS } from '../sql/list-runs.ts';
import { LIST_WORKSPACES } from '../sql/list-workspaces.ts';
import { RECORD_DUPLICATE } from '../sql/record-duplicate.ts';
import { GET_RUN_TIMELINE, type TimelineDbRow } from '../sql/run-timeline.ts';
import { execute, type Statement } from '../sql/statement.ts';
import { type EnsureCommand, type EnsureResult, ensureRuns } from './ensure-runs.ts';
import type { PagedRow, RunRow } from './run-view.ts';
import { pgBigint, pgTimestamp, uuidArray } from './sql-values.ts';

/**
 * The write path of operation_runs — the ONLY one in the system (a test
 * fails if another package reaches it; the database grants forbid it too).
 * The statements are SQL, one file per operation under sql/ (named
 * parameters; each file's header says its inputs, outputs, locks and the race
 * it handles), because the guarantees live in them: ON CONFLICT against the
 * partial unique indexes, conditional writes. They run as prepared
 * statements on the pg pool under MikroORM (the ORM owns the pool, the
 * migrations and the entities).
 */

export interface ListQuery {
  readonly workspaceId: string;
  readonly tenantId?: string | undefined;
  readonly type?: string | undefined;
  readonly status?: string | undefined;
  readonly outcome?: string | undefined;
  /** runs whose failure_summary has an entry with this code */
  readonly failureCode?: string | undefined;
  /** initiator_name, exact */
  readonly initiator?: string | undefined;
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
  | ({ readonly result: 'applied' } & AppliedChange)
  | { readonly result: 'ignored'; readonly reason: IgnoreReason }
  | { readonly result: 'unknown_run' };

/** What an applied event changed, from the row already read: the run metrics need no statement of their own. */
export interface AppliedChange {
  readonly type: string;
  readonly createdAt: Date;
  readonly before: RunState;
  readonly after: RunState;
}

/** how often applyEvents reads again rows another writer changed under it before the batch is nak-ed */
const APPLY_ROUNDS = 10;

/** The keyset cursor after a row of list_runs. */
export function cursorAfterRun(row: PagedRow): string {
  return encodeCursor({ createdAt: row.page_at, id: row.id });
}

/** The keyset cursor after an entry of get_run_timeline. */
export function cursorAfterTimelineEntry(row: TimelineDbRow): string {
  return encodeTimelineCursor({ at: row.page_at, k: row.k });
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
  /** dedupe_hits + 1 on a run (a worker skipped a duplicate job of it), and a `duplicate` entry on its timeline */
  recordDuplicate(workspaceId: string, runId: string, now: Date, reason: string): Promise<RunRow | null>;
  /** up to `limit` timeline entries of a run, oldest first, and whether more follow (page with `cursorAfterTimelineEntry`); null: no such run in the workspace */
  getRunTimeline(
    workspaceId: string,
    runId: string,
    limit: number,
    cursor?: string,
  ): Promise<{ rows: TimelineDbRow[]; hasMore: boolean } | null>;
  /** up to `limit` rows, newest first, and whether more follow (page them with `cursorAfterRun` of the last row used) */
  listRuns(query: ListQuery): Promise<{ rows: PagedRow[]; hasMore: boolean }>;
  /** queued/running runs of a workspace with no sign of life since `quietSince`, oldest first */
  /** running runs first, then queued, each the longest quiet first; page with `cursorAfterActive` of the last row used */
  listActiveRuns(workspaceId: string, quietSince: string, limit: number, cursor?: string): Promise<{ rows: PagedRow[]; hasMore: boolean }>;
  listWorkspaces(): Promise<Array<{ id: string; slug: string }>>;
  /** Applies a batch of events: one read, one conditional write (rows changed meanwhile are decided again); outcomes are index-aligned with the input. */
  applyEvents(events: readonly PendingEvent[], now: Date): Promise<EventOutcome[]>;
}

export interface RunsRepositoryOptions {
  /** rows applyEvents had to read again because another writer changed them between its read and its write */
  readonly onReread?: (rows: number) => void;
}

export function createRunsRepository(em: EntityManager, options: RunsRepositoryOptions = {}): RunsRepository {
  // the pg pool under MikroORM: every statement (sql/, named parameters) runs on it, prepared once per connection
  let pool: Promise<Pool> | undefined;
  const nativePool = () => {
    pool ??= (em.getConnection() as PostgreSqlConnection).getNativeClient();
    return pool;
  };
  const run = async <P extends string, R>(st: Statement<P, R>, values: Readonly<Record<P, unknown>>) =>
    execute(await nativePool(), st, values);

  async function getRun(workspaceId: string, runId: string): Promise<RunRow | null> {
    const [row] = await run(GET_RUN, { run_id: runId, workspace_id: workspaceId });
    return row ?? null;
  }

  async function recordDuplicate(workspaceId: string, runId: string, now: Date, reason: string): Promise<RunRow | null> {
    const [row] = await run(RECORD_DUPLICATE, {
      run_id: runId,
      workspace_id: workspaceId,
      now: now.toISOString(),
      reason,
    });
    return row ?? null;
  }

  async function getRunTimeline(
    workspaceId: string,
    runId: string,
    limit: number,
    cursor?: string,
  ): Promise<{ rows: TimelineDbRow[]; hasMore: boolean } | null> {
    const after = cursor ? decodeTimelineCursor(cursor) : null;
    // a run of another workspace is as unknown as a missing one; an empty timeline (a queued run) is not
    if (!(await getRun(workspaceId, runId))) return null;
    const rows = await run(GET_RUN_TIMELINE, {
      run_id: runId,
      workspace_id: workspaceId,
      cursor_at: after?.at ?? null,
      cursor_k: after?.k ?? null,
      limit: limit + 1,
    });
    return { rows: rows.slice(0, limit), hasMore: rows.length > limit };
  }

  async function listRuns(query: ListQuery): Promise<{ rows: PagedRow[]; hasMore: boolean }> {
    const cursor = query.cursor ? decodeCursor(query.cursor) : null;
    const rows = await run(LIST_RUNS, {
      workspace_id: query.workspaceId,
      tenant_id: query.tenantId ?? null,
      type: query.type ?? null,
      status: query.status ?? null,
      outcome: query.outcome ?? null,
      failure_code: query.failureCode ?? null,
      initiator: query.initiator ?? null,
      created_after: query.createdAfter ?? null,
      created_before: query.createdBefore ?? null,
      cursor_at: cursor?.createdAt ?? null,
      cursor_id: cursor?.id ?? null,
      limit: query.limit + 1,
    });
    return { rows: rows.slice(0, query.limit), hasMore: rows.length > query.limit };
  }

  async function listActiveRuns(
    workspaceId: string,
    quietSince: string,
    limit: number,
    cursor?: string,
  ): Promise<{ rows: PagedRow[]; hasMore: boolean }> {
    const after = cursor ? decodeActiveCursor(cursor) : null;
    const rows = await run(LIST_ACTIVE_RUNS, {
      workspace_id: workspaceId,
      quiet_since: quietSince,
      cursor_rank: after?.rank ?? null,
      cursor_at: after?.quietSince ?? null,
      cursor_id: after?.id ?? null,
      limit: limit + 1,
    });
    return { rows: rows.slice(0, limit), hasMore: rows.length > limit };
  }

  async function listWorkspaces(): Promise<Array<{ id: string; slug: string }>> {
    return run(LIST_WORKSPACES, {});
  }

  /**
   * A batch in two statements, no transaction (issue #18): read the rows,
   * decide every event in the domain (`applyEvent`, in batch order), write
   * every changed row with ONE conditional UPDATE — only where the row still
   * is what was read (its last applied event, attempt, seq, status, heal
   * flag). A row another writer changed meanwhile (another ledger replica) is
   * read again and its events decided again; applying is idempotent, so a
   * batch that fails half-way and is redelivered changes nothing twice.
   * The same write appends the timeline entries (domain/timeline.ts) of the
   * rows it wrote, and of events refused on rows it did not need to write.
   */
  async function applyEvents(events: readonly PendingEvent[], now: Date): Promise<EventOutcome[]> {
    const outcomes: EventOutcome[] = new Array<EventOutcome>(events.length);
    let open = events.map((_, i) => i);
    for (let round = 0; open.length > 0; round += 1) {
      if (round >= APPLY_ROUNDS) throw new Error(`ledger rows kept changing under ${open.length} events: batch retried later`);
      const ids = [...new Set(open.map((i) => events[i]!.event.run_id))];
      const rows = await run(READ_RUNS, { run_ids: uuidArray(ids) });
      const states = new Map<
        string,
        { workspaceId: string; type: string; createdAt: Date; read: RunState; state: RunState; dirty: boolean }
      >();
      for (const row of rows) {
        const read = toState(row);
        // created_at is NOT NULL
        const createdAt = pgTimestamp(row.created_at)!;
        states.set(row.id, { workspaceId: row.workspace_id, type: row.type, createdAt, read, state: read, dirty: false });
      }
      const entries: Array<{ i: number; row: TimelineRow }> = [];
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
          if (recordsIgnored(result.reason)) entries.push({ i, row: timelineRow(event, streamSeq, now, result.reason) });
          continue;
        }
        outcomes[i] = { result: 'applied', type: entry.type, createdAt: entry.createdAt, before: entry.state, after: result.state };
        entry.state = result.state;
        entry.dirty = true;
        entries.push({ i, row: timelineRow(event, streamSeq, now, null) });
      }
      const dirty = [...states.entries()].filter(([, e]) => e.dirty);
      // nothing changed and nothing to record (redeliveries only): no statement at all
      if (dirty.length === 0 && entries.length === 0) break;
      const written = await run(WRITE_RUNS, {
        now: now.toISOString(),
        entries: JSON.stringify(entries.map(({ i, row }) => ({ i, ...row, dirty: states.get(row.run_id)?.dirty === true }))),
        rows: JSON.stringify(
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
      });
      // the rows someone else wrote in between: their events are decided again on what is there now
      const done = new Set(written.map((w) => w.id));
      const lost = new Set(dirty.map(([id]) => id).filter((id) => !done.has(id)));
      if (lost.size > 0) options.onReread?.(lost.size);
      open = open.filter((i) => lost.has(events[i]!.event.run_id));
    }
    return outcomes;
  }

  async function setJobGeneration(runId: string, generation: number): Promise<void> {
    await run(SET_JOB_GENERATION, { run_id: runId, generation });
  }

  async function nextJobGeneration(workspaceId: string, runId: string, now: Date): Promise<RunRow | null> {
    const [row] = await run(NEXT_JOB_GENERATION, {
      run_id: runId,
      workspace_id: workspaceId,
      now: now.toISOString(),
    });
    return row ?? null;
  }

  return {
    ensureRuns: async (commands, now) => ensureRuns(await nativePool(), commands, now, getRun),
    setJobGeneration,
    nextJobGeneration,
    getRun,
    recordDuplicate,
    getRunTimeline,
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
