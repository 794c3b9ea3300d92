import type { Probe } from '@ops/fake-graph';
import { type ServiceProcess, startService } from '@ops/test-support';

/**
 * The fake Graph as a process of its own (services/fake-graph/src/main.ts),
 * read and steered over its control API: the chaos stack's verdict (probe,
 * ground truth) comes from the same HTTP peer the workers call.
 */
export interface GraphProcess {
  readonly url: string;
  readonly proc: ServiceProcess;
  probe(): Promise<Probe>;
  /** what the list endpoint returns for this tenant/policy */
  truth(tenant: string, policy: string): Promise<Array<{ id: string }>>;
  setLatency(ms: number): Promise<void>;
}

export async function startGraphProcess(clientId: string, clientSecret: string, latencyMs: number): Promise<GraphProcess> {
  const proc = startService('services/fake-graph/src/main.ts', {
    FAKE_GRAPH_PORT: '0',
    FAKE_GRAPH_CLIENT_ID: clientId,
    FAKE_GRAPH_CLIENT_SECRET: clientSecret,
    FAKE_GRAPH_LATENCY_MS: String(latencyMs),
    LOG_LEVEL: 'info',
  });
  await proc.waitForOutput(/fake-graph ready/, 30_000);
  const ready = /"url":"(http:\/\/[^"]+)"[^\n]*fake-graph ready/.exec(proc.output());
  if (!ready) throw new Error(`fake-graph did not say its URL:\n${proc.output().slice(-2000)}`);
  const url = ready[1]!;
  const get = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`fake-graph ${path}: HTTP ${res.status}`);
    return (await res.json()) as T;
  };
  return {
    url,
    proc,
    probe: () => get<Probe>('/_fake/probe'),
    truth: (tenant, policy) => get(`/_fake/truth/${encodeURIComponent(tenant)}/${encodeURIComponent(policy)}`),
    async setLatency(ms) {
      const res = await fetch(`${url}/_fake/faults`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ latencyMs: ms }),
        signal: AbortSignal.timeout(5_000),
      });
      if (res.status !== 204) throw new Error(`fake-graph faults: HTTP ${res.status}`);
    },
  };
}
