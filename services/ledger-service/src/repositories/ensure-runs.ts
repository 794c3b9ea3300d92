import { type Disposition, OpsError, type RunType } from '@ops/contracts';
import { pgErrorClass } from '@ops/db';
import type { Pool } from 'pg';
import { ENSURE_RUNS } from '../sql/ensure-runs.ts';
import { LOCK_IDENTITIES } from '../sql/lock-identities.ts';
import { execute } from '../sql/statement.ts';
import type { RunRow } from './run-view.ts';

export interface EnsureCommand {
  readonly id: string;
  readonly workspaceId: string;
  readonly tenantId: string | null;
  readonly type: RunType;
  readonly identityHash: string;
  readonly context: Record<string, unknown>;
  readonly initiatorName: string;
  readonly userId: string | null;
  readonly cooldownSeconds: number;
  /** the caller brought its own run id (identity = run) */
  readonly explicitRunId: boolean;
  readonly policyIds: readonly string[];
}

export interface EnsureResult {
  readonly disposition: Disposition;
  readonly row: RunRow;
}

type Outcome = EnsureResult | OpsError;

/** a race lost (a concurrent insert of the identity, a completion while waiting for a lock) is settled within this many rounds */
const ROUNDS = 3;

/**
 * ensure_run for a batch of commands (group commit, issue #18): ONE statement
 * per round for the whole batch (sql/ensure-runs.ts). Commands for one
 * identity are folded into one row first — the first is the one that counts,
 * the others are duplicates of it: k commands for a new identity give one
 * `created` and k − 1 `active`, with dedupe_hits k − 1, as k sequential calls
 * would. A command's scope failure (`not_found`) answers that command only;
 * so does a data error PostgreSQL raises for one command's row (the batch is
 * then run again command by command to find it).
 */
export async function ensureRuns(
  pool: Pool,
  commands: readonly EnsureCommand[],
  now: Date,
  getRun: (workspaceId: string, runId: string) => Promise<RunRow | null>,
): Promise<Outcome[]> {
  try {
    return await ensureGroups(pool, commands, now, getRun);
  } catch (err) {
    if (pgErrorClass(err) !== 'data' || commands.length === 1) throw err;
    // one command's data was refused: the others must not fail with it. Command by command, in
    // arrival order within an identity (its first acceptable command creates the run), identities at once.
    const outcomes = new Array<Outcome>(commands.length);
    await Promise.all(
      [...groupByIdentity(commands).values()].map(async (members) => {
        for (const i of members) outcomes[i] = await ensureAlone(pool, commands[i]!, now, getRun);
      }),
    );
    return outcomes;
  }
}

async function ensureAlone(
  pool: Pool,
  command: EnsureCommand,
  now: Date,
  getRun: (workspaceId: string, runId: string) => Promise<RunRow | null>,
): Promise<Outcome> {
  try {
    const [outcome] = await ensureGroups(pool, [command], now, getRun);
    return outcome!;
  } catch (err) {
    if (pgErrorClass(err) === 'data') return new OpsError('bad_request', 'the database refused this run (its data is out of range)');
    throw err;
  }
}

function identityKey(c: EnsureCommand): string {
  return `${c.workspaceId}|${c.tenantId ?? ''}|${c.identityHash}`;
}

/** command indexes by identity, in arrival order */
function groupByIdentity(commands: readonly EnsureCommand[]): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  commands.forEach((c, i) => {
    const key = identityKey(c);
    const members = groups.get(key);
    if (members) members.push(i);
    else groups.set(key, [i]);
  });
  return groups;
}

async function ensureGroups(
  pool: Pool,
  commands: readonly EnsureCommand[],
  now: Date,
  getRun: (workspaceId: string, runId: string) => Promise<RunRow | null>,
): Promise<Outcome[]> {
  const groups = groupByIdentity(commands);
  const outcomes = new Array<Outcome>(commands.length);
  const settle = (members: readonly number[], outcome: (leader: boolean) => Outcome) => {
    members.forEach((i, j) => {
      outcomes[i] = outcome(j === 0);
    });
  };
  let open = [...groups.values()];
  for (let round = 0; round < ROUNDS && open.length > 0; round += 1) {
    const rows = open.map((members, n) => {
      const c = commands[members[0]!]!;
      return {
        n,
        id: c.id,
        workspace_id: c.workspaceId,
        tenant_id: c.tenantId,
        user_id: c.userId,
        initiator_name: c.initiatorName,
        type: c.type,
        identity_hash: c.identityHash,
        context: c.context,
        cooldown_seconds: c.cooldownSeconds,
        policy_ids: c.policyIds,
        hits: members.length,
      };
    });
    const keys = open.map((members) => identityKey(commands[members[0]!]!));
    const results = await ensureRound(pool, keys, JSON.stringify(rows), now);
    const again: number[][] = [];
    for (const r of results) {
      const members = open[r.req_n]!;
      const leader = commands[members[0]!]!;
      if (!r.workspace_ok) settle(members, () => new OpsError('not_found', 'workspace not found'));
      else if (!r.tenant_ok) settle(members, () => new OpsError('not_found', 'tenant not found in this workspace'));
      else if (!r.policies_ok) {
        settle(
          members,
          () =>
            new OpsError('not_found', 'one or more policies not found for this tenant', { issues: ['inputs.policy_ids: unknown policy'] }),
        );
      } else if (r.disposition) {
        const { req_n: _n, workspace_ok: _w, tenant_ok: _t, policies_ok: _p, disposition, n: _sn, ...row } = r;
        // the others of a created run's identity are its duplicates
        settle(members, (first) => ({
          disposition: first || disposition !== 'created' ? disposition : 'active',
          row: row as unknown as RunRow,
        }));
      } else if (leader.explicitRunId) {
        // the caller's run id exists but is neither active nor cooling down
        const existing = await getRun(leader.workspaceId, leader.id);
        if (existing?.status === 'completed') {
          settle(members, () => new OpsError('conflict', 'this run already completed; dispatch without a run id to start a new run'));
        } else if (!existing) settle(members, () => new OpsError('conflict', 'run id already in use'));
        else again.push(members);
      } else again.push(members);
    }
    open = again;
  }
  for (const members of open) settle(members, () => new OpsError('conflict', 'could not settle the run for this identity; retry'));
  return outcomes;
}

/**
 * One round: in one transaction, the advisory locks of its identities first
 * (sql/lock-identities.ts), then ensure_runs — whose snapshot is therefore
 * taken after every other batch holding one of these identities committed.
 * Without the locks, a batch whose statement waited for a row lock could
 * insert a run for an identity whose run another batch (the other ledger
 * replica, or this one's second batch) created and completed after its
 * snapshot: a second run inside the cooldown, which no unique index stops
 * (found by `pnpm bench --cluster`, W2 with 2 ledger replicas: 2,501 rows for
 * 2,500 identities in 2 of 3 runs). The completion of an active run while
 * the statement waits is handled inside it (`seen_active`).
 */
async function ensureRound(pool: Pool, keys: readonly string[], rows: string, now: Date) {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    await execute(client, LOCK_IDENTITIES, { keys: JSON.stringify(keys) });
    const results = await execute(client, ENSURE_RUNS, { rows, now: now.toISOString() });
    await client.query('COMMIT');
    return results;
  } catch (err) {
    await client.query('ROLLBACK').catch((rollbackErr: unknown) => {
      broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
    });
    throw err;
  } finally {
    // a connection that could not roll back is not given back to the pool
    client.release(broken);
  }
}
