/**
 * The ground truth tests compare against: how often Graph was called, per
 * tenant/policy, with which answers, and how many calls overlapped (the
 * execution-time dedupe invariant shows up here as max_concurrent = 1).
 */
export interface KeyProbe {
  calls: number;
  list_calls: number;
  assign_calls: number;
  max_concurrent: number;
  in_flight: number;
  status_counts: Record<string, number>;
}

export interface Probe {
  /** Graph API calls (token and control routes excluded) */
  total_calls: number;
  token_calls: number;
  /** keyed `<tenant>/<policy>` */
  by_key: Record<string, KeyProbe>;
}

export interface ProbeRecorder {
  tokenCall(): void;
  /** a Graph call whose token named no tenant */
  anonymousCall(): void;
  /** counts the call as in flight; the returned function records its status and ends it */
  begin(tenant: string, policy: string, kind: 'list' | 'assign'): (status: number) => void;
  snapshot(): Probe;
  reset(): void;
}

export function createProbeRecorder(): ProbeRecorder {
  let probe: Probe = emptyProbe();
  return {
    tokenCall() {
      probe.token_calls += 1;
    },
    anonymousCall() {
      probe.total_calls += 1;
    },
    begin(tenant, policy, kind) {
      const key = `${tenant}/${policy}`;
      const entry = probe.by_key[key] ?? { calls: 0, list_calls: 0, assign_calls: 0, max_concurrent: 0, in_flight: 0, status_counts: {} };
      probe.by_key[key] = entry;
      probe.total_calls += 1;
      entry.calls += 1;
      if (kind === 'list') entry.list_calls += 1;
      else entry.assign_calls += 1;
      entry.in_flight += 1;
      entry.max_concurrent = Math.max(entry.max_concurrent, entry.in_flight);
      let ended = false;
      // `entry` is captured: a reset while the call runs leaves the new probe untouched
      return (status) => {
        if (ended) return;
        ended = true;
        entry.in_flight -= 1;
        entry.status_counts[String(status)] = (entry.status_counts[String(status)] ?? 0) + 1;
      };
    },
    snapshot: () => structuredClone(probe),
    reset() {
      probe = emptyProbe();
    },
  };
}

function emptyProbe(): Probe {
  return { total_calls: 0, token_calls: 0, by_key: {} };
}
