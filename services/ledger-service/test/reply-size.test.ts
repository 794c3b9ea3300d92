import { insertBacklog, useLedgerHarness } from '@ops/test-support';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * No reply outgrows the bus (issue #16, scenario 2). A large tenant's backlog
 * — 600 active runs whose contexts hold 500 policy ids each, ~20 KB a run —
 * is listed in pages bounded by size as well as count: every reply stays
 * within 90 % of the connection's max_payload, and paging reaches every run
 * once. list_active_runs lists stuck running runs before the queued backlog.
 */
const h = useLedgerHarness({}, { tenants: 1, policiesPerTenant: 1 });
const QUEUED = 300;
const RUNNING = 300;
let backlog: { queued: string[]; running: string[] };

beforeAll(async () => {
  backlog = await insertBacklog(h, {
    queued: QUEUED,
    running: RUNNING,
    policiesPerRun: 500,
    quietForSeconds: 3600,
  });
});

/** a request as any client sends it; the raw reply's size is what the bus carries */
async function raw(
  endpoint: 'list_active_runs' | 'list_runs',
  body: Record<string, unknown>,
): Promise<{ bytes: number; json: Record<string, unknown> }> {
  const reply = await h.nc.request(h.names.ledgerApiSubject(endpoint), JSON.stringify(body), { timeout: 15_000 });
  return { bytes: reply.data.length, json: reply.json() };
}

describe('replies bounded by max_payload', () => {
  it('list_active_runs with limit 1000 over 600 runs of 500 policies: every page within 90 % of max_payload, all runs once, running first', async () => {
    const budget = 0.9 * h.nc.info!.max_payload;
    const quietSince = new Date().toISOString();
    const seen: Array<{ id: string; status: string }> = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const { bytes, json } = await raw('list_active_runs', {
        workspace_id: h.seed.workspace.id,
        quiet_since: quietSince,
        limit: 1000,
        ...(cursor ? { cursor } : {}),
      });
      expect(json['ok'], JSON.stringify(json).slice(0, 300)).toBe(true);
      expect(bytes).toBeLessThanOrEqual(budget);
      const runs = json['runs'] as Array<{ id: string; status: string }>;
      expect(runs.length).toBeGreaterThan(0);
      seen.push(...runs.map((r) => ({ id: r.id, status: r.status })));
      cursor = json['next_cursor'] as string | null;
      pages += 1;
    } while (cursor !== null && pages < 100);
    // more than one page: 600 runs of ~20 KB do not fit one reply
    expect(pages).toBeGreaterThan(1);
    expect(seen).toHaveLength(QUEUED + RUNNING);
    expect(new Set(seen.map((r) => r.id)).size).toBe(QUEUED + RUNNING);
    // every running run before any queued one, though the queued ones were created first
    expect(seen.slice(0, RUNNING).every((r) => r.status === 'running')).toBe(true);
    expect(new Set(seen.slice(0, RUNNING).map((r) => r.id))).toEqual(new Set(backlog.running));
  });

  it('list_runs with limit 500 over the same runs: every page within 90 % of max_payload, all runs once', async () => {
    const budget = 0.9 * h.nc.info!.max_payload;
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const { bytes, json } = await raw('list_runs', {
        workspace_id: h.seed.workspace.id,
        type: 'assignments.fetch',
        limit: 500,
        ...(cursor ? { cursor } : {}),
      });
      expect(json['ok'], JSON.stringify(json).slice(0, 300)).toBe(true);
      expect(bytes).toBeLessThanOrEqual(budget);
      ids.push(...(json['runs'] as Array<{ id: string }>).map((r) => r.id));
      cursor = json['next_cursor'] as string | null;
      pages += 1;
    } while (cursor !== null && pages < 100);
    expect(pages).toBeGreaterThan(1);
    expect(new Set(ids)).toEqual(new Set([...backlog.queued, ...backlog.running]));
    expect(ids).toHaveLength(QUEUED + RUNNING);
  });
});
