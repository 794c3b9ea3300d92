import { jetstreamManager } from '@nats-io/jetstream';
import { HEADERS } from '@ops/contracts';
import { GRAPH_SECRET, useWorkerStack } from '@ops/test-support';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * Outcome O-5 (docs/requirements.md): no secret in a failure message, a log line or a message on the
 * bus. The fake Graph echoes the bearer token and the client secret in every
 * error body; neither may surface anywhere we can look.
 */
const h = useWorkerStack({ tenants: 1, policiesPerTenant: 3 });
beforeAll(async () => {
  await h.startWorker({ WORKER_MAX_DELIVER: '3' });
});

describe('secrets in Graph error bodies', () => {
  it('appear in no ledger row, log line, OPS_LEDGER or OPS_DLQ message', async () => {
    const policies = await h.policies(0);
    h.graph.setFaults({
      echoSecretsInErrors: true,
      failPolicies: { [policies[0]!.external_id]: 403 },
      unavailable: { policies: [policies[1]!.external_id], count: 2 },
    });
    const { run } = await h.dispatch('assignments.fetch', 0);
    const done = await h.waitCompleted(run.id);
    expect(done).toMatchObject({ outcome: 'partially_succeeded', attempt: 2, summary_counts: { total: 3, processed: 2, failed: 1 } });
    expect(done.failure_summary).toEqual([expect.objectContaining({ code: 'graph.forbidden', count: 1 })]);
    // a bad job too, so the dead-letter stream has something to check
    await h.js.publish(h.names.jobSubject('assignments.fetch'), JSON.stringify({ v: 1, token: 'not-a-job' }), { msgID: 'bad-job-1' });
    const jsm = await jetstreamManager(h.nc);
    await expect.poll(async () => (await jsm.streams.info(h.names.streams.dlq)).state.messages, { timeout: 10_000 }).toBeGreaterThan(0);
    const letter = await jsm.streams.getMessage(h.names.streams.dlq, { last_by_subj: h.names.dlqSubject('assignment-worker') });
    expect(letter!.header.get(HEADERS.dlqReason)).toBe('schema_invalid');

    const tokens = h.graph.issuedTokens();
    expect(tokens.length).toBeGreaterThan(0);
    const secrets = [GRAPH_SECRET, ...tokens];
    const places: Record<string, string> = {
      'ledger row': JSON.stringify(await h.getRun(run.id)),
      'worker logs': h.workerLogLines.join('\n'),
      'ledger logs': h.logLines.join('\n'),
      'OPS_LEDGER and OPS_DLQ': (await h.ledgerMessages()).join('\n'),
    };
    // the places are not empty: the failures were really logged and published
    expect(places['worker logs']).toContain('graph.unavailable');
    expect(places['OPS_LEDGER and OPS_DLQ']).toContain('graph.forbidden');
    for (const [where, text] of Object.entries(places)) {
      for (const secret of secrets) expect(text.includes(secret), `${where} leaks a secret`).toBe(false);
    }
    h.graph.setFaults({});
  });
});
