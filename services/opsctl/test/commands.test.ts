import { createServer } from 'node:net';
import { jetstream } from '@nats-io/jetstream';
import { headers } from '@nats-io/nats-core';
import { HEADERS } from '@ops/contracts';
import { cliEnv, insertRun, opsctl, useHousekeepingStack } from '@ops/test-support';
import { beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/commands/index.ts';
import { TIMEOUT, until } from './support.ts';

/**
 * The docs/cli.md contract for EVERY registered command, driven by the registry:
 * a command added to src/commands/index.ts without a row in CASES fails here.
 * Runs against a whole system (ledger, worker, fake Graph, housekeeping).
 */
const h = useHousekeepingStack({ tenants: 1, policiesPerTenant: 2 });
let env: Record<string, string>;
/** a completed run (fetch of one policy: not the identity `demo` dispatches) and that policy */
let runId: string;
let policyId: string;
/** 127.0.0.1 and a port that was just listening and is closed now */
let closedNatsUrl: string;
/** a queued run to cancel, the lease key its cancel marks, two dead letters (redrive, purge) */
let queuedRunId: string;
let cancelKey: string;
const deadLetters: number[] = [];
const who = ['--actor', 'commands-test', '--reason', 'contract test'];

interface Case {
  /** a working invocation, without --json */
  readonly ok: () => string[];
  /** the top-level keys of its `--json` document (docs/cli.md), in any order */
  readonly keys: readonly string[];
  /** one bad argument of its own (exit 2) */
  readonly bad: () => string[];
  /** talks to NATS: a closed NATS port is a handled error (exit 1) */
  readonly nats: boolean;
}

const RUN_FIELDS = [
  'id',
  'workspace_id',
  'tenant_id',
  'type',
  'status',
  'outcome',
  'run_identity_hash',
  'summary_counts',
  'failure_summary',
  'context',
  'attempt',
  'dedupe_hits',
  'initiator_name',
  'started_at',
  'completed_at',
  'created_at',
  'updated_at',
];
const ws = () => h.seed.workspace.id;
const tenant = () => h.seed.tenants[0]!.id;

const CASES: Record<string, Case> = {
  'tenants list': { ok: () => ['tenants', 'list'], keys: ['workspaces'], bad: () => ['tenants', 'list', 'extra'], nats: false },
  dispatch: {
    ok: () => ['dispatch', 'assignments.restore', '--workspace', ws(), '--tenant', tenant(), '--policy', policyId],
    keys: ['run_id', 'disposition', 'run_identity_hash', 'published'],
    bad: () => ['dispatch', 'assignments.fetch', '--workspace', ws()],
    nats: true,
  },
  'runs show': {
    ok: () => ['runs', 'show', runId, '--workspace', ws()],
    // the run object, plus its timeline and the operators' actions on it (issue #21)
    keys: [...RUN_FIELDS, 'timeline', 'actions'],
    bad: () => ['runs', 'show', 'abc', '--workspace', ws()],
    nats: true,
  },
  'runs list': {
    ok: () => ['runs', 'list', '--workspace', ws()],
    keys: ['runs', 'next_cursor'],
    bad: () => ['runs', 'list', '--workspace', ws(), '--limit', '0'],
    nats: true,
  },
  'runs wait': {
    ok: () => ['runs', 'wait', runId, '--workspace', ws()],
    keys: RUN_FIELDS,
    bad: () => ['runs', 'wait', runId, '--workspace', ws(), '--timeout', 'soon'],
    nats: true,
  },
  'runs cancel': {
    ok: () => ['runs', 'cancel', queuedRunId, '--workspace', ws(), ...who],
    keys: ['run', 'previous_status', 'job_removed', 'action'],
    bad: () => ['runs', 'cancel', queuedRunId, '--workspace', ws(), '--reason', 'no actor'],
    nats: true,
  },
  'runs rerun': {
    ok: () => ['runs', 'rerun', runId, '--workspace', ws(), ...who],
    keys: ['run_id', 'disposition', 'run', 'published', 'rerun_of', 'forced', 'action'],
    bad: () => ['runs', 'rerun', runId, '--workspace', ws(), '--actor', ' ', '--reason', 'blank actor'],
    nats: true,
  },
  'locks list': { ok: () => ['locks', 'list'], keys: ['locks'], bad: () => ['locks', 'list', 'extra'], nats: true },
  'locks release': {
    ok: () => ['locks', 'release', cancelKey, '--force', ...who],
    keys: ['key', 'run_id', 'state', 'holder', 'forced', 'action'],
    bad: () => ['locks', 'release', 'assignments.fetch.*', ...who],
    nats: true,
  },
  'dlq list': { ok: () => ['dlq', 'list'], keys: ['messages'], bad: () => ['dlq', 'list', '--limit', 'abc'], nats: true },
  'dlq redrive': {
    ok: () => ['dlq', 'redrive', String(deadLetters[0]), ...who],
    keys: ['seq', 'reason', 'subject', 'stream', 'redriven_seq', 'action'],
    bad: () => ['dlq', 'redrive', 'first', ...who],
    nats: true,
  },
  'dlq purge': {
    ok: () => ['dlq', 'purge', String(deadLetters[1]), ...who],
    keys: ['seq', 'reason', 'action'],
    bad: () => ['dlq', 'purge', '0', ...who],
    nats: true,
  },
  'housekeeping run': {
    ok: () => ['housekeeping', 'run', '--workspace', ws()],
    keys: ['run_id', 'disposition'],
    bad: () => ['housekeeping', 'run', '--workspace', 'nope'],
    nats: true,
  },
  demo: {
    ok: () => ['demo', '--workspace', ws(), '--tenant', tenant(), '--timeout', '40'],
    keys: ['steps', 'runs'],
    bad: () => ['demo', '--tenant', 'nope'],
    nats: true,
  },
};

const commands = COMMANDS.map((c) => [c.path.join(' ')] as const);
function caseOf(name: string): Case {
  const c = CASES[name];
  if (!c) throw new Error(`no row for '${name}' in CASES — add one for the new command`);
  return c;
}

beforeAll(async () => {
  env = cliEnv(h);
  await h.startWorker();
  await h.startHousekeeping();
  policyId = (await h.policies(0))[0]!.id;
  const { run } = await h.dispatch('assignments.fetch', 0, [policyId]);
  runId = run.id;
  // hooks cannot use expect.poll (waitCompleted)
  await until(async () => (await h.getRun(runId)).status === 'completed', 30_000);
  const queued = await insertRun(h, { tenant: 0, policyIds: [(await h.policies(0))[1]!.id] });
  queuedRunId = queued.id;
  cancelKey = `assignments.fetch.${queued.run_identity_hash}`;
  // two dead letters of a job (a run that does not exist: a redriven copy is dead-lettered again)
  for (let i = 0; i < 2; i += 1) {
    const dlq = headers();
    dlq.set(HEADERS.dlqReason, 'ledger_unavailable');
    dlq.set(HEADERS.dlqOriginSubject, h.names.jobSubject('assignments.fetch'));
    const body = JSON.stringify({ v: 1, run_id: crypto.randomUUID(), note: `dead letter ${i}` });
    deadLetters.push((await jetstream(h.nc).publish(h.names.dlqSubject('assignment-worker'), body, { headers: dlq })).seq);
  }
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  closedNatsUrl = `nats://127.0.0.1:${port}`;
});

describe('every opsctl command (the registry)', () => {
  it('has a row here, `opsctl --help` lists it and `opsctl <command> --help` shows its usage', async () => {
    expect(Object.keys(CASES).sort()).toEqual(commands.map(([name]) => name).sort());
    const help = await opsctl(['--help'], env);
    for (const [name] of commands) expect(help.stdout).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
    for (const command of COMMANDS) {
      const one = await opsctl([...command.path, '--help'], env);
      expect(one.code).toBe(0);
      expect(one.stdout.split('\n')[0]).toBe(`usage: ${command.usage}`);
    }
  }, 60_000);

  it.each(commands)(
    '%s --json prints exactly one JSON document with the documented fields',
    async (name) => {
      const r = await opsctl([...caseOf(name).ok(), '--json'], env);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout.endsWith('\n')).toBe(true);
      expect(r.stdout.trimEnd().split('\n')).toHaveLength(1);
      const doc = JSON.parse(r.stdout) as Record<string, unknown>;
      expect(Object.keys(doc).sort()).toEqual([...caseOf(name).keys].sort());
    },
    60_000,
  );

  it.each(commands)(
    '%s with a bad argument or an unknown option → exit 2, a message and the usage on stderr, nothing on stdout',
    async (name) => {
      const path = name.split(' ');
      for (const args of [caseOf(name).bad(), [...path, '--no-such-option']]) {
        const r = await opsctl([...args, '--json'], env);
        expect(r.code, args.join(' ')).toBe(2);
        expect(r.stdout).toBe('');
        const [message, usage, ...rest] = r.stderr.trimEnd().split('\n');
        expect(message).toMatch(/^opsctl: \S/);
        expect(usage).toBe(`usage: ${COMMANDS.find((c) => c.path.join(' ') === name)!.usage}`);
        expect(rest).toEqual([]);
      }
    },
    TIMEOUT,
  );

  it.each(commands)(
    '%s with NATS_URL on a closed port → exit 1 within seconds, one line naming NATS and what to do',
    async (name) => {
      const c = caseOf(name);
      const r = await opsctl([...c.ok(), '--json'], { ...env, NATS_URL: closedNatsUrl });
      if (!c.nats) {
        // never touches NATS: unaffected
        expect(r.code).toBe(0);
        return;
      }
      expect(r.code).toBe(1);
      expect(r.ms).toBeLessThan(10_000);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`opsctl: NATS unreachable at ${closedNatsUrl.slice('nats://'.length)} — start it or set NATS_URL\n`);
    },
    TIMEOUT,
  );
});
