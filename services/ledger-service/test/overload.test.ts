import { isOpsError } from '@ops/contracts';
import { useLedgerHarness } from '@ops/test-support';
import { describe, expect, it } from 'vitest';

/**
 * More concurrent requests than the ledger admits (1 in flight, 2 queued):
 * the excess is refused at once as a retryable `unavailable` ("overloaded"),
 * the admitted ones are answered, and the service keeps serving.
 */
const h = useLedgerHarness({ LEDGER_API_MAX_IN_FLIGHT: '1', LEDGER_API_MAX_QUEUED: '2' });

describe('ledger api admission', () => {
  it('refuses the excess of a burst as overloaded and keeps serving', async () => {
    const request = {
      workspace_id: h.seed.workspace.id,
      tenant_id: h.seed.tenants[0]!.id,
      type: 'assignments.fetch' as const,
      inputs: { policy_ids: [] },
      initiator: { name: 'test' },
    };
    const results = await Promise.allSettled(Array.from({ length: 60 }, () => h.client.ensureRun(request)));
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(ok.length).toBeGreaterThanOrEqual(3);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) {
      expect(isOpsError(r.reason) && r.reason.code).toBe('unavailable');
      expect((r.reason as Error).message).toMatch(/overloaded; retry later/);
    }
    // one run for the identity, whatever was refused
    expect(new Set(ok.map((r) => (r as PromiseFulfilledResult<{ run: { id: string } }>).value.run.id)).size).toBe(1);
    // still serving
    const again = await h.client.ensureRun(request);
    expect(again.disposition).toBe('active');
    const metrics = await (await fetch(`http://127.0.0.1:${h.service.http.port}/metrics`)).text();
    expect(metrics).toMatch(/ops_ledger_api_requests_total\{[^}]*result="overloaded"[^}]*\} [1-9]/);
  });
});
