import { describe, expect, it } from 'vitest';
import { BASE_NAMES, createNames } from './names.ts';

describe('createNames without a prefix', () => {
  const names = createNames();

  it('uses the base stream, KV, consumer and service names unchanged', () => {
    expect(names.prefix).toBe('');
    expect(names.streams).toEqual({ jobs: 'OPS_JOBS', ledger: 'OPS_LEDGER', dlq: 'OPS_DLQ' });
    expect(names.kv).toEqual({ locks: 'ops_locks' });
    expect(names.consumers).toEqual({ ledgerEvents: 'ledger-events', assignmentWorker: 'assignment-worker' });
    expect(names.services).toEqual({ ledger: 'ops_ledger', housekeeping: 'ops_housekeeping' });
  });

  it('builds unprefixed subjects and wildcards', () => {
    expect(names.jobSubject('assignments.fetch')).toBe('ops.jobs.assignments.fetch');
    expect(names.jobsWildcard).toBe('ops.jobs.>');
    expect(names.ledgerEventSubject('completed')).toBe('ops.ledger.events.completed');
    expect(names.ledgerEventsWildcard).toBe('ops.ledger.events.>');
    expect(names.ledgerApiGroup).toBe('ops.ledger.api');
    expect(names.ledgerApiSubject('ensure_run')).toBe('ops.ledger.api.ensure_run');
    expect(names.dlqSubject('assignment-worker')).toBe('ops.dlq.assignment-worker');
    expect(names.dlqWildcard).toBe('ops.dlq.>');
  });

  it('treats an explicit empty prefix like no prefix', () => {
    const explicit = createNames('');
    expect(explicit.streams).toEqual(names.streams);
    expect(explicit.jobSubject('t')).toBe(names.jobSubject('t'));
    expect(explicit.dlqWildcard).toBe(names.dlqWildcard);
  });
});

describe('createNames with a prefix', () => {
  const names = createNames('t_42-a');

  it('prefixes stream, KV, consumer and service names with an underscore', () => {
    expect(names.prefix).toBe('t_42-a');
    expect(names.streams).toEqual({ jobs: 't_42-a_OPS_JOBS', ledger: 't_42-a_OPS_LEDGER', dlq: 't_42-a_OPS_DLQ' });
    expect(names.kv).toEqual({ locks: 't_42-a_ops_locks' });
    expect(names.consumers).toEqual({
      ledgerEvents: 't_42-a_ledger-events',
      assignmentWorker: 't_42-a_assignment-worker',
    });
    expect(names.services).toEqual({ ledger: 't_42-a_ops_ledger', housekeeping: 't_42-a_ops_housekeeping' });
    expect(names.housekeepingRunSubject).toBe('t_42-a.ops.housekeeping.run');
  });

  it('prefixes subjects with one extra leading token', () => {
    expect(names.jobSubject('assignments.restore')).toBe('t_42-a.ops.jobs.assignments.restore');
    expect(names.jobsWildcard).toBe('t_42-a.ops.jobs.>');
    expect(names.ledgerEventSubject('started')).toBe('t_42-a.ops.ledger.events.started');
    expect(names.ledgerEventsWildcard).toBe('t_42-a.ops.ledger.events.>');
    expect(names.ledgerApiGroup).toBe('t_42-a.ops.ledger.api');
    expect(names.ledgerApiSubject('list_runs')).toBe('t_42-a.ops.ledger.api.list_runs');
    expect(names.dlqSubject('ledger')).toBe('t_42-a.ops.dlq.ledger');
    expect(names.dlqWildcard).toBe('t_42-a.ops.dlq.>');
  });

  it('keeps every prefixed subject inside the matching prefixed wildcard', () => {
    const under = (subject: string, wildcard: string) => subject.startsWith(wildcard.slice(0, -1));
    expect(under(names.jobSubject('x'), names.jobsWildcard)).toBe(true);
    expect(under(names.ledgerEventSubject('progress'), names.ledgerEventsWildcard)).toBe(true);
    expect(under(names.dlqSubject('housekeeping'), names.dlqWildcard)).toBe(true);
  });

  it('gives different prefixes disjoint names', () => {
    const other = createNames('other');
    expect(other.streams.jobs).not.toBe(names.streams.jobs);
    expect(other.jobsWildcard).not.toBe(names.jobsWildcard);
  });

  it('returns frozen objects', () => {
    expect(Object.isFrozen(names)).toBe(true);
    expect(Object.isFrozen(names.streams)).toBe(true);
    expect(Object.isFrozen(names.kv)).toBe(true);
    expect(Object.isFrozen(names.consumers)).toBe(true);
    expect(Object.isFrozen(names.services)).toBe(true);
  });

  it('accepts a prefix of exactly 32 allowed characters', () => {
    const prefix = 'A'.repeat(32);
    expect(createNames(prefix).streams.ledger).toBe(`${prefix}_${BASE_NAMES.streams.ledger}`);
  });
});

describe('createNames with an invalid prefix', () => {
  it.each([
    ['a dot (extra subject token)', 'a.b'],
    ['a space', 'a b'],
    ['a star wildcard', '*'],
    ['a full wildcard', '>'],
    ['a slash', 'a/b'],
    ['a non-ASCII letter', 'é'],
    ['33 characters', 'x'.repeat(33)],
  ])('throws for %s', (_label, prefix) => {
    expect(() => createNames(prefix)).toThrow(/NATS prefix must match/);
  });
});
