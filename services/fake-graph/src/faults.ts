import { z } from 'zod';

/**
 * Injected failures. Set at start, in-process (setFaults) or over HTTP
 * (PUT /_fake/faults); counters are consumed by the calls they fail.
 */
export const faultsSchema = z
  .object({
    /** added to every Graph call, while the call counts as in flight */
    latencyMs: z.number().int().min(0).max(600_000).optional(),
    /** the next `count` Graph calls (for these policies, or any) answer 429 with Retry-After */
    throttle: z
      .object({ policies: z.array(z.string()).optional(), count: z.number().int().min(0), retryAfterSeconds: z.number().int().min(0) })
      .optional(),
    /**
     * the next `count` Graph calls (for these policies, or any) are held this long before they are
     * answered — in flight all the while (a stalled item: a fencing test's worker is cut off meanwhile)
     */
    stall: z
      .object({ policies: z.array(z.string()).optional(), count: z.number().int().min(0), ms: z.number().int().min(0).max(600_000) })
      .optional(),
    /** the next `count` Graph calls (for these policies, or any) answer 503 */
    unavailable: z.object({ policies: z.array(z.string()).optional(), count: z.number().int().min(0) }).optional(),
    /** share of Graph calls answering 503, drawn from a seeded PRNG: the same sequence every time it is set */
    errorRate5xx: z.number().min(0).max(1).optional(),
    /** policies that always answer 403 or 404 */
    failPolicies: z.record(z.string(), z.union([z.literal(403), z.literal(404)])).optional(),
    /** error bodies echo the request's Authorization header and the client secret (a leak test) */
    echoSecretsInErrors: z.boolean().optional(),
    /** paging links point at this origin instead of the fake's own (tests the client's same-origin rule) */
    nextLinkOrigin: z.url().optional(),
  })
  .strict();

export type Faults = z.input<typeof faultsSchema>;

export interface FaultDecision {
  readonly status: 403 | 404 | 429 | 503;
  readonly retryAfterSeconds?: number;
}

export interface FaultState {
  current(): Faults;
  set(faults: Faults): void;
  /** the injected answer for the next Graph call on this policy, consuming counters; undefined = answer normally */
  decide(policy: string): FaultDecision | undefined;
  /** how long the next Graph call on this policy is held before it is answered (latency plus a stall), consuming the stall counter */
  holdMs(policy: string): number;
}

const PRNG_SEED = 0x5eed;

export function createFaultState(initial: Faults = {}): FaultState {
  let faults = faultsSchema.parse(initial);
  let random = mulberry32(PRNG_SEED);
  const applies = (policies: readonly string[] | undefined, policy: string) => policies === undefined || policies.includes(policy);
  return {
    current: () => structuredClone(faults),
    set(next) {
      faults = faultsSchema.parse(structuredClone(next));
      random = mulberry32(PRNG_SEED);
    },
    holdMs(policy) {
      const { stall } = faults;
      let held = faults.latencyMs ?? 0;
      if (stall && stall.count > 0 && applies(stall.policies, policy)) {
        stall.count -= 1;
        held += stall.ms;
      }
      return held;
    },
    decide(policy) {
      const { throttle, unavailable } = faults;
      if (throttle && throttle.count > 0 && applies(throttle.policies, policy)) {
        throttle.count -= 1;
        return { status: 429, retryAfterSeconds: throttle.retryAfterSeconds };
      }
      if (unavailable && unavailable.count > 0 && applies(unavailable.policies, policy)) {
        unavailable.count -= 1;
        return { status: 503 };
      }
      if (faults.errorRate5xx !== undefined && faults.errorRate5xx > 0 && random() < faults.errorRate5xx) return { status: 503 };
      const permanent = faults.failPolicies?.[policy];
      return permanent === undefined ? undefined : { status: permanent };
    },
  };
}

/** A tiny seeded PRNG (mulberry32): deterministic fault sequences without a dependency. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
