import { startNatsCluster, startNatsServer } from '@ops/test-support';

/**
 * The NATS our system runs on in the bench, of the bench's own: one
 * nats-server (R1 streams and KV, one ledger-service), or with --cluster the
 * 3-node cluster of test support (each node in its own network namespace; R3
 * streams and KV, two ledger-service replicas, as the prod overlay runs).
 * Everything else of a run is the same either way, so the two outputs compare.
 */
export interface BenchNats {
  /** client URLs (what NATS_URL lists, comma-separated) */
  readonly urls: string[];
  /** monitoring endpoints, one per node */
  readonly monitorUrls: string[];
  /** the nats-server processes (under `ip netns exec` the child's PID is nats-server's own) */
  readonly pids: number[];
  /** streams' and the KV bucket's replicas (NATS_REPLICAS) */
  readonly replicas: number;
  readonly ledgerReplicas: number;
  /** for the rendered output: what ops ran on */
  readonly description: string;
  stop(): Promise<void>;
}

// deploy/overlays/prod/nats-cluster.conf: `http: 0.0.0.0:8222`, so reachable on the node's address from here
const CLUSTER_MONITOR_PORT = 8222;

export async function startBenchNats(cluster: boolean): Promise<BenchNats> {
  if (!cluster) {
    const own = await startNatsServer();
    return {
      urls: [own.url],
      monitorUrls: [own.monitorUrl],
      pids: [own.pid()!],
      replicas: 1,
      ledgerReplicas: 1,
      description: 'one nats-server (R1), 1 ledger-service',
      stop: () => own.stop(),
    };
  }
  const c = await startNatsCluster();
  return {
    urls: [...c.urls],
    monitorUrls: c.nodes.map((n) => `http://${n.ip}:${CLUSTER_MONITOR_PORT}`),
    pids: c.nodes.map((n) => n.pid()!),
    replicas: 3,
    ledgerReplicas: 2,
    description: `a ${c.nodes.length}-node NATS cluster (R3 streams and KV), 2 ledger-service replicas`,
    stop: () => c.stop(),
  };
}
