import { randomBytes, randomUUID } from 'node:crypto';
import { FAILURE_CODE_LIST } from '@ops/contracts';
import { cliEnv, opsctl, opsctlJson, useLedgerHarness } from '@ops/test-support';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunsListJson } from '../src/commands/runs-list.ts';
import { TIMEOUT } from './support.ts';

/**
 * `opsctl runs list --outcome --failure-code --initiator --since --until`
 * (issue #21 item 6): each option reaches list_runs as its field, they
 * combine, paging keeps them, and a bad value is exit 2 naming the option
 * (and the valid values of an enum) before anything is asked. The ledger's
 * own matching rules are tested in services/ledger-service/test/list-filters.test.ts.
 */
const h = useLedgerHarness({}, { tenants: 1, policiesPerTenant: 1 });
let env: Record<string, string>;
const ids: Record<string, string> = {};

/** name → [created_at, outcome, failure codes, initiator] */
const PLAN: Record<string, readonly [string, string, readonly string[], string]> = {
  old: ['2025-01-10T12:00:00Z', 'failed', ['graph.throttled'], 'alice'],
  mid: ['2025-02-10T12:00:00Z', 'succeeded', [], 'alice'],
  late: ['2025-03-10T12:00:00Z', 'failed', ['graph.not_found', 'graph.throttled'], 'bob'],
  newest: ['2025-04-10T12:00:00Z', 'cancelled', [], 'alice'],
};

const ws = () => h.seed.workspace.id;
const list = (...args: string[]) => opsctlJson<RunsListJson>(['runs', 'list', '--workspace', ws(), ...args], env);
const idsOf = (page: RunsListJson) => page.runs.map((r) => r.id);
const named = (...names: string[]) => names.map((n) => ids[n]!);

beforeAll(async () => {
  env = cliEnv(h);
  for (const [name, [createdAt, outcome, codes, initiator]] of Object.entries(PLAN)) {
    const id = randomUUID();
    await h.sql(
      `INSERT INTO operation_runs (id, workspace_id, tenant_id, initiator_name, type, status, outcome, run_identity_hash,
                                   failure_summary, completed_at, created_at, updated_at)
       VALUES ($1, $2, $3, $4, 'assignments.fetch', 'completed', $5, $6, $7::jsonb, $8, $8, $8)`,
      [
        id,
        ws(),
        h.seed.tenants[0]!.id,
        initiator,
        outcome,
        randomBytes(32).toString('hex'),
        JSON.stringify(codes.map((code) => ({ code, message: 'x', count: 1 }))),
        createdAt,
      ],
    );
    ids[name] = id;
  }
});

describe('opsctl runs list: outcome, failure code, initiator, time range', () => {
  it(
    'each option alone: the runs it matches and none other',
    async () => {
      const [failed, cancelled, throttled, notFound, alice, bob, nobody] = await Promise.all([
        list('--outcome', 'failed'),
        list('--outcome', 'cancelled'),
        list('--failure-code', 'graph.throttled'),
        list('--failure-code', 'graph.not_found'),
        list('--initiator', 'alice'),
        list('--initiator', 'bob'),
        list('--initiator', 'nobody', '--failure-code', 'graph.timeout'),
      ]);
      expect(idsOf(failed)).toEqual(named('late', 'old'));
      expect(idsOf(cancelled)).toEqual(named('newest'));
      expect(idsOf(throttled)).toEqual(named('late', 'old'));
      expect(idsOf(notFound)).toEqual(named('late'));
      expect(idsOf(alice)).toEqual(named('newest', 'mid', 'old'));
      expect(idsOf(bob)).toEqual(named('late'));
      expect(nobody).toEqual({ runs: [], next_cursor: null });
    },
    TIMEOUT,
  );

  it(
    '--since (inclusive) and --until (exclusive) as timestamps, offsets or dates (00:00 UTC)',
    async () => {
      const [range, exact, dates, offset] = await Promise.all([
        list('--since', '2025-02-01T00:00:00Z', '--until', '2025-04-01T00:00:00Z'),
        // --since is the instant itself, --until that instant excluded
        list('--since', PLAN['mid']![0], '--until', PLAN['late']![0]),
        list('--since', '2025-03-10', '--until', '2025-04-11'),
        // 13:00+01:00 is 12:00Z: the old run's own instant
        list('--until', '2025-01-10T13:00:00+01:00'),
      ]);
      expect(idsOf(range)).toEqual(named('late', 'mid'));
      expect(idsOf(exact)).toEqual(named('mid'));
      expect(idsOf(dates)).toEqual(named('newest', 'late'));
      expect(idsOf(offset)).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    'options combine, and paging one run at a time keeps them',
    async () => {
      const filter = ['--initiator', 'alice', '--since', '2025-01-01', '--until', '2025-04-01'];
      expect(idsOf(await list(...filter))).toEqual(named('mid', 'old'));
      expect(idsOf(await list(...filter, '--outcome', 'failed', '--failure-code', 'graph.throttled'))).toEqual(named('old'));
      const page1 = await list(...filter, '--limit', '1');
      expect(idsOf(page1)).toEqual(named('mid'));
      expect(page1.next_cursor).toEqual(expect.any(String));
      const page2 = await list(...filter, '--limit', '1', '--cursor', page1.next_cursor!);
      expect(page2).toEqual({ runs: [expect.objectContaining({ id: ids['old'] })], next_cursor: null });
    },
    TIMEOUT,
  );

  it(
    'the text form of a filtered list',
    async () => {
      const r = await opsctl(['runs', 'list', '--workspace', ws(), '--outcome', 'cancelled'], env);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^${ids['newest']} +assignments\\.fetch +\\S+ +completed +cancelled `, 'm'));
      expect(r.stdout).toContain('1 run');
      const none = await opsctl(['runs', 'list', '--workspace', ws(), '--initiator', 'nobody'], env);
      expect(none.stdout).toBe('no runs match\n');
    },
    TIMEOUT,
  );

  it(
    'bad values → exit 2 naming the option, enums with their valid values, nothing on stdout',
    async () => {
      const cases: Array<[string[], string]> = [
        [['--outcome', 'done'], "--outcome: 'done' is not valid — one of pending, succeeded, partially_succeeded, failed, cancelled"],
        [['--failure-code', 'graph.nope'], `--failure-code: 'graph.nope' is not valid — one of ${FAILURE_CODE_LIST.join(', ')}`],
        [['--since', 'yesterday'], '--since: must be an ISO-8601 timestamp with an offset (2025-01-31T09:00:00Z) or a date'],
        [['--until', '2025-02-30'], '--until: must be an ISO-8601 timestamp with an offset'],
        [['--since', '2025-01-10T12:00:00'], '--since: must be an ISO-8601 timestamp with an offset'],
        [['--since', '2025-03-01', '--until', '2025-03-01'], '--until: must be later than --since'],
        [['--initiator', 'x'.repeat(201)], '--initiator: must be at most 200 characters'],
        [['--initiator', ''], '--initiator: must not be empty'],
      ];
      const results = await Promise.all(cases.map(([args]) => opsctl(['runs', 'list', '--workspace', ws(), ...args, '--json'], env)));
      results.forEach((r, n) => {
        const [args, message] = cases[n]!;
        expect(r.code, args.join(' ')).toBe(2);
        expect(r.stdout).toBe('');
        expect(r.stderr.split('\n')[0], args.join(' ')).toContain(`opsctl: ${message}`);
        expect(r.stderr).toContain('usage: opsctl runs list --workspace <uuid>');
      });
    },
    TIMEOUT,
  );

  it(
    '--help names the new options and their valid values',
    async () => {
      const r = await opsctl(['runs', 'list', '--help'], env);
      expect(r.code).toBe(0);
      for (const option of [
        '--outcome <outcome>',
        '--failure-code <code>',
        '--initiator <name>',
        '--since <ISO-8601>',
        '--until <ISO-8601>',
      ]) {
        expect(r.stdout).toContain(option);
      }
      expect(r.stdout).toContain('--outcome: pending, succeeded, partially_succeeded, failed, cancelled');
      expect(r.stdout).toContain(FAILURE_CODE_LIST.join(', '));
    },
    TIMEOUT,
  );
});
