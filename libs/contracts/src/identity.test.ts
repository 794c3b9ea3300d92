import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OpsError } from './errors.ts';
import { canonicalJson, computeIdentity, type IdentityInput } from './identity.ts';

const WORKSPACE = '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b';
const TENANT_A = '0b7d3c1e-2f4a-4b5c-9d6e-7f8091a2b3c4';
const TENANT_B = '1c8e4d2f-3a5b-4c6d-8e7f-8091a2b3c4d5';
const P1 = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
const P2 = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const P3 = 'a8098c1a-f86e-41b2-9a6b-0bd2d4f1c2e3';

function identity(overrides: Partial<IdentityInput> = {}) {
  return computeIdentity({
    type: 'assignments.fetch',
    workspaceId: WORKSPACE,
    tenantId: TENANT_A,
    inputs: { policy_ids: [P1, P2] },
    ...overrides,
  });
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('canonicalJson', () => {
  it('is valid JSON for holes and dates, like JSON.stringify', () => {
    expect(canonicalJson([undefined, 1])).toBe('[null,1]');
    expect(JSON.parse(canonicalJson({ at: new Date('2026-01-01T00:00:00Z') }))).toEqual({ at: '2026-01-01T00:00:00.000Z' });
  });

  it('is independent of object key order at every level', () => {
    const a = { b: 1, a: { y: [1, { q: 2, p: 3 }], x: 'z' } };
    const b = { a: { x: 'z', y: [1, { p: 3, q: 2 }] }, b: 1 };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(canonicalJson(a)).toBe('{"a":{"x":"z","y":[1,{"p":3,"q":2}]},"b":1}');
  });

  it('keeps array order significant', () => {
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
  });

  it('drops undefined object members and serializes primitives like JSON', () => {
    expect(canonicalJson({ a: undefined, b: null })).toBe('{"b":null}');
    expect(canonicalJson('x"y')).toBe('"x\\"y"');
    expect(canonicalJson(true)).toBe('true');
    expect(canonicalJson(null)).toBe('null');
  });

  it('refuses non-finite numbers', () => {
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(TypeError);
    expect(() => canonicalJson([Number.POSITIVE_INFINITY])).toThrow(TypeError);
  });
});

describe('computeIdentity', () => {
  it('produces a stable 64-character lowercase hex hash', () => {
    const first = identity();
    expect(first.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(identity().hash).toBe(first.hash);
  });

  it('hashes a lower-case identity exactly as before: no identity version bump (pinned values)', () => {
    expect(identity().hash).toBe('7ec2b06a68d85af5083f7a60d53e23449c98c15bbffa0a6534f3f8425273ea5f');
    expect(computeIdentity({ type: 'ops.reconcile_adapter_runs', workspaceId: WORKSPACE, tenantId: null, inputs: {} }).hash).toBe(
      'e2338a3346346f929ed38d3d4085cae473b51aef27d42d7bba385c4a606a310f',
    );
  });

  it('ignores the letter case of the tenant, workspace and run ids: one identity however they are written', () => {
    expect(identity({ tenantId: TENANT_A.toUpperCase() }).hash).toBe(identity().hash);
    const scoped = { type: 'ops.reconcile_adapter_runs' as const, tenantId: null, inputs: {} };
    expect(computeIdentity({ ...scoped, workspaceId: WORKSPACE.toUpperCase() }).hash).toBe(
      computeIdentity({ ...scoped, workspaceId: WORKSPACE }).hash,
    );
    const run = 'c56a4180-65aa-42ec-a945-5fd21dec0538';
    expect(identity({ runId: run.toUpperCase() }).hash).toBe(identity({ runId: run }).hash);
  });

  it('ignores the order, duplicates and letter case of policy_ids', () => {
    const base = identity().hash;
    expect(identity({ inputs: { policy_ids: [P2, P1] } }).hash).toBe(base);
    expect(identity({ inputs: { policy_ids: [P1, P2, P1, P2] } }).hash).toBe(base);
    expect(identity({ inputs: { policy_ids: [P1.toUpperCase(), P2] } }).hash).toBe(base);
  });

  it('exposes the normalized inputs it hashed', () => {
    const { fingerprintInputs } = identity({ inputs: { policy_ids: [P2, P1.toUpperCase(), P2] } });
    expect(fingerprintInputs).toEqual({ policy_ids: [P1, P2].sort() });
  });

  it('treats missing inputs and missing policy_ids as the empty selection', () => {
    const empty = identity({ inputs: { policy_ids: [] } }).hash;
    expect(identity({ inputs: {} }).hash).toBe(empty);
    expect(identity({ inputs: undefined }).hash).toBe(empty);
  });

  it('changes when the type, tenant or inputs change', () => {
    const base = identity().hash;
    expect(identity({ type: 'assignments.restore' }).hash).not.toBe(base);
    expect(identity({ tenantId: TENANT_B }).hash).not.toBe(base);
    expect(identity({ inputs: { policy_ids: [P1] } }).hash).not.toBe(base);
    expect(identity({ inputs: { policy_ids: [P1, P2, P3] } }).hash).not.toBe(base);
  });

  it('ignores the workspace for tenant-scoped runs', () => {
    expect(identity({ workspaceId: TENANT_B }).hash).toBe(identity().hash);
  });

  it('scopes runs without a tenant by workspace', () => {
    const run = (workspaceId: string) =>
      computeIdentity({ type: 'ops.reconcile_adapter_runs', workspaceId, tenantId: null, inputs: {} }).hash;
    expect(run(WORKSPACE)).toBe(run(WORKSPACE));
    expect(run(WORKSPACE)).not.toBe(run(TENANT_B));
  });

  it('does not confuse a workspace id with a tenant id of the same value', () => {
    const asWorkspace = identity({ workspaceId: TENANT_A, tenantId: null }).hash;
    const asTenant = identity({ workspaceId: WORKSPACE, tenantId: TENANT_A }).hash;
    expect(asWorkspace).not.toBe(asTenant);
  });

  it('uses the run id as the identity when one is given', () => {
    const runId = 'c56a4180-65aa-42ec-a945-5fd21dec0538';
    const byRun = identity({ runId }).hash;
    expect(byRun).toMatch(/^[0-9a-f]{64}$/);
    expect(byRun).not.toBe(identity().hash);
    // the inputs no longer matter, the run id's letter case neither
    expect(identity({ runId, inputs: { policy_ids: [P3] } }).hash).toBe(byRun);
    expect(identity({ runId: runId.toUpperCase() }).hash).toBe(byRun);
    expect(identity({ runId: '9b2a7c31-0d4e-4f5a-8b6c-7d8e9f0a1b2c' }).hash).not.toBe(byRun);
  });

  it('refuses unknown input keys with bad_request and never echoes their values', () => {
    const secret = 'Zq8~sEcReT-VaLuE-771';
    const err = thrown(() => identity({ inputs: { policy_ids: [P1], client_secret: secret } }));
    expect(err).toBeInstanceOf(OpsError);
    const opsErr = err as OpsError;
    expect(opsErr.code).toBe('bad_request');
    expect(opsErr.issues.length).toBeGreaterThan(0);
    expect(opsErr.issues.join('\n')).toContain('client_secret');
    expect(opsErr.issues.join('\n')).toMatch(/^inputs: /m);
    expect(opsErr.message).not.toContain(secret);
    expect(opsErr.issues.join('\n')).not.toContain(secret);
  });

  it('refuses malformed policy ids without echoing them', () => {
    const err = thrown(() => identity({ inputs: { policy_ids: ['not-a-uuid-hunter2'] } })) as OpsError;
    expect(err.code).toBe('bad_request');
    expect(err.issues.join('\n')).toContain('inputs.policy_ids.0');
    expect(`${err.message} ${err.issues.join(' ')}`).not.toContain('hunter2');
  });

  it('refuses any input for the reconcile type', () => {
    const err = thrown(() =>
      computeIdentity({ type: 'ops.reconcile_adapter_runs', workspaceId: WORKSPACE, tenantId: null, inputs: { policy_ids: [] } }),
    ) as OpsError;
    expect(err.code).toBe('bad_request');
  });

  it('hashes every permutation of a policy id list identically (property)', () => {
    const permuted = fc
      .uniqueArray(fc.uuid(), { minLength: 1, maxLength: 12 })
      .chain((ids) => fc.tuple(fc.constant(ids), fc.shuffledSubarray(ids, { minLength: ids.length, maxLength: ids.length })));
    fc.assert(
      fc.property(permuted, fc.boolean(), ([ids, shuffled], upper) => {
        const other = upper ? shuffled.map((id) => id.toUpperCase()) : shuffled;
        expect(identity({ inputs: { policy_ids: other } }).hash).toBe(identity({ inputs: { policy_ids: ids } }).hash);
      }),
    );
  });
});
