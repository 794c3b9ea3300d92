import { createHash } from 'node:crypto';

/**
 * The fake's assignments: derived from sha256(`tenant|policy`) so every
 * instance (in-process, separate process, docker-compose) answers the same
 * without seeding, and replaced by whatever was last assigned.
 */
export interface Assignment {
  readonly id: string;
  readonly target: Readonly<Record<string, unknown>>;
}

export interface AssignmentStore {
  /** what the list endpoint returns and tests compare against */
  get(tenant: string, policy: string): Assignment[];
  replace(tenant: string, policy: string, assignments: readonly Assignment[]): void;
  /** forget every assigned set: back to the derived data */
  reset(): void;
}

export function createAssignmentStore(): AssignmentStore {
  const assigned = new Map<string, Assignment[]>();
  return {
    get: (tenant, policy) => structuredClone(assigned.get(storeKey(tenant, policy)) ?? derivedAssignments(tenant, policy)),
    replace: (tenant, policy, assignments) => assigned.set(storeKey(tenant, policy), structuredClone([...assignments])),
    reset: () => assigned.clear(),
  };
}

/** 1 to 5 assignments, ids and group targets shaped like Graph's. */
export function derivedAssignments(tenant: string, policy: string): Assignment[] {
  const count = 1 + (sha256(`${tenant}|${policy}`)[0]! % 5);
  return Array.from({ length: count }, (_, index) => {
    const hex = sha256(`${tenant}|${policy}|${index}`).toString('hex');
    const groupId = uuidShaped(hex.slice(0, 32));
    return {
      // Graph names an assignment `<policyId>_<groupId>`; a hash keeps it short and URL-safe
      id: `${uuidShaped(hex.slice(32, 64))}_${groupId}`,
      target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId },
    };
  });
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function uuidShaped(hex32: string): string {
  return `${hex32.slice(0, 8)}-${hex32.slice(8, 12)}-${hex32.slice(12, 16)}-${hex32.slice(16, 20)}-${hex32.slice(20, 32)}`;
}

function storeKey(tenant: string, policy: string): string {
  return JSON.stringify([tenant, policy]);
}
