import { FAILURE_CODE_LIST, type LedgerApiEndpoint, listRunsRequestV1 } from '@ops/contracts';
import fc from 'fast-check';
import { at, type Fixtures } from './fixtures.ts';
import { BAD_DATES, BAD_UUIDS, garbage, type Hostile, json, mutated, PLANTED_SECRET, uuid4 } from './generators.ts';

// Hostile requests: every ops.ledger.api endpoint and ops.housekeeping.run,
// each with the error code(s) its reply must carry.

const LEDGER_MAX_REQUEST_BYTES = 64 * 1024; // the default of services/ledger-service/src/config.ts
const HOUSEKEEPING_MAX_REQUEST_BYTES = 4096; // services/housekeeping/src/handlers/api.ts
const enc = new TextEncoder();

/** hostile requests per ledger API endpoint, each with the error code(s) it must get */
export function apiArb(fx: Fixtures, endpoint: LedgerApiEndpoint): fc.Arbitrary<Hostile> {
  const bytes = (valid: fc.Arbitrary<string>, empty: boolean) =>
    garbage(valid, LEDGER_MAX_REQUEST_BYTES, {
      oversized: 'bad_request',
      encoding: 'bad_request',
      json: 'bad_request',
      schema: 'bad_request',
      ...(empty ? { empty: 'bad_request' } : {}),
    });
  /** a valid request of `base`, then damaged as bytes (an empty payload included) */
  const damaged = (base: fc.Arbitrary<Record<string, unknown>>) =>
    bytes(
      base.map((b) => JSON.stringify(b)),
      true,
    );
  const structural = (base: fc.Arbitrary<Record<string, unknown>>, required: string[], wrong: Record<string, readonly unknown[]>) =>
    mutated(base, required, wrong).map((m) => ({ label: `schema_${m.how}`, data: enc.encode(m.text), expect: ['bad_request'] }));
  const BAD_LIMITS = [0, -1, 501, 1001, 2.5, '10', null, 1e9];
  const knownRun = () => fc.constantFrom(fx.r1, fx.r2, fx.r0, fx.r3);
  // a foreign pair: a run of one workspace asked for in the other (or an unknown one)
  const foreignPair = fc.oneof(
    knownRun().map((r) => ({ workspace_id: fx.otherWs, run_id: r.id })),
    fc.constant({ workspace_id: fx.ws, run_id: fx.rx.id }),
    fc.tuple(uuid4, knownRun()).map(([w, r]) => ({ workspace_id: w, run_id: r.id })),
    uuid4.map((id) => ({ workspace_id: fx.ws, run_id: id })),
  );
  switch (endpoint) {
    case 'ensure_run': {
      const base = fc
        .tuple(uuid4, fc.constantFrom('assignments.fetch', 'assignments.restore'))
        .map(
          ([w, type]) =>
            ({ workspace_id: w, tenant_id: fx.tenant0, type, inputs: { policy_ids: [] }, initiator: { name: 'x' } }) as Record<
              string,
              unknown
            >,
        );
      const semantic = fc.oneof(
        base.map((b) => json('unknown_workspace', b, ['not_found'])),
        base.map((b) => json('foreign_tenant', { ...b, workspace_id: fx.ws, tenant_id: fx.otherTenant }, ['not_found'])),
        fc.tuple(base, uuid4).map(([b, t]) => json('unknown_tenant', { ...b, workspace_id: fx.ws, tenant_id: t }, ['not_found'])),
        base.map((b) => json('foreign_policy', { ...b, workspace_id: fx.ws, inputs: { policy_ids: [fx.otherPolicy] } }, ['not_found'])),
        fc
          .tuple(base, fc.uniqueArray(uuid4, { minLength: 1, maxLength: 20 }))
          .map(([b, ids]) =>
            json('unknown_policy', { ...b, workspace_id: fx.ws, inputs: { policy_ids: [...fx.policies0.slice(0, 1), ...ids] } }, [
              'not_found',
            ]),
          ),
        base.map((b) => json('tenant_scope_without_tenant', { ...b, workspace_id: fx.ws, tenant_id: null }, ['bad_request'])),
        base.map((b) =>
          json('workspace_scope_with_tenant', { ...b, workspace_id: fx.ws, type: 'ops.reconcile_adapter_runs', inputs: {} }, [
            'bad_request',
          ]),
        ),
        fc.tuple(base, junkValueKey()).map(([b, key]) => ({
          ...json('', {}, []),
          label: 'smuggled_input',
          data: enc.encode(JSON.stringify({ ...b, workspace_id: fx.ws, inputs: { policy_ids: [], [key]: PLANTED_SECRET } })),
          expect: ['bad_request'],
        })),
        fc
          .tuple(base, fc.integer({ min: 501, max: 2000 }), uuid4)
          .map(([b, n, id]) =>
            json('too_many_policies', { ...b, workspace_id: fx.ws, inputs: { policy_ids: Array.from({ length: n }, () => id) } }, [
              'bad_request',
            ]),
          ),
        // the caller's run id is a completed / running / other workspace's run: refused, nothing created
        fc.tuple(base, fc.constantFrom('r1', 'r3', 'r2', 'rx')).map(([b, which]) => {
          const r = fx[which as 'r1' | 'r3' | 'r2' | 'rx'];
          return json(
            'explicit_run_id_taken',
            {
              ...b,
              workspace_id: fx.ws,
              tenant_id: which === 'r3' ? fx.tenant1 : fx.tenant0,
              type: 'assignments.fetch',
              inputs: {},
              run_id: r.id,
            },
            ['conflict'],
          );
        }),
      );
      const s = structural(base, ['workspace_id', 'type', 'initiator'], {
        workspace_id: BAD_UUIDS,
        tenant_id: BAD_UUIDS.filter((v) => v !== null),
        type: ['assignments.delete', '', null, 5, PLANTED_SECRET],
        inputs: [null, [], 'x', { policy_ids: 'x' }, { policy_ids: ['nope'] }, { policy_ids: [null] }],
        run_id: BAD_UUIDS,
        initiator: [
          null,
          'x',
          {},
          { name: '' },
          { name: 'x'.repeat(201) },
          { name: 'a', token: PLANTED_SECRET },
          { name: 'a', user_id: 'me' },
        ],
      });
      return fc.oneof({ weight: 3, arbitrary: semantic }, { weight: 3, arbitrary: s }, { weight: 2, arbitrary: damaged(base) });
    }
    case 'get_run':
    // the same run look-up as get_run (its limit and cursor are left to a generator of its own)
    case 'get_run_timeline':
    case 'republish_job':
    case 'record_duplicate': {
      const extra = endpoint === 'record_duplicate' ? { reason: 'already_completed' } : {};
      const base = fc.tuple(uuid4, uuid4).map(([w, r]) => ({ workspace_id: w, run_id: r, ...extra }) as Record<string, unknown>);
      const semantic = foreignPair.map((p) => json('foreign_or_unknown_run', { ...p, ...extra }, ['not_found']));
      const s = structural(base, ['workspace_id', 'run_id', ...Object.keys(extra)], {
        workspace_id: BAD_UUIDS,
        run_id: BAD_UUIDS,
        ...(endpoint === 'record_duplicate' ? { reason: ['', 'because', null, 5, PLANTED_SECRET] } : {}),
      });
      // a known run with a damaged request: never counted as a duplicate
      const knownDamaged = fc
        .tuple(knownRun(), fc.constantFrom(...BAD_UUIDS.slice(0, 4)))
        .map(([r, bad]) =>
          json(
            'known_run_bad_field',
            { workspace_id: fx.ws, run_id: r.id, ...(endpoint === 'record_duplicate' ? { reason: bad } : { extra: bad }) },
            ['bad_request'],
          ),
        );
      return fc.oneof(
        { weight: 3, arbitrary: semantic },
        { weight: 3, arbitrary: s },
        { weight: 1, arbitrary: knownDamaged },
        { weight: 2, arbitrary: damaged(base) },
      );
    }
    case 'list_runs': {
      const base = uuid4.map((w) => ({ workspace_id: w, limit: 10 }) as Record<string, unknown>);
      const s = structural(base, ['workspace_id'], {
        workspace_id: BAD_UUIDS,
        tenant_id: BAD_UUIDS.filter((v) => v !== null),
        type: ['x', '', null, 5],
        status: ['done', '', null, 'COMPLETED'],
        outcome: ['done', '', null, 'FAILED', 5, PLANTED_SECRET],
        failure_code: ['graph.nope', '', null, 'GRAPH.THROTTLED', 5, ['graph.throttled'], PLANTED_SECRET],
        initiator: ['', 'x'.repeat(201), null, 5, 'a\u0000b', '\ud800', { name: 'alice' }],
        created_after: BAD_DATES,
        created_before: BAD_DATES,
        limit: BAD_LIMITS,
        cursor: [
          'x'.repeat(201),
          null,
          5,
          'not-a-cursor',
          Buffer.from('[1,2]').toString('base64url'),
          Buffer.from(`["${PLANTED_SECRET}","x"]`).toString('base64url'),
        ],
      });
      const garbageCursor = fc
        .string({ maxLength: 200 })
        .map((c) => json('garbage_cursor', { workspace_id: fx.ws, cursor: `~${c}` }, ['bad_request']));
      const unknownWs = uuid4.map((w) => json('unknown_workspace_list', { workspace_id: w }, ['empty_ok']));
      // valid filters (issue #21 item 6) on a workspace with no runs: an empty page, never an error
      const filters = fc.record(
        {
          outcome: fc.constantFrom(...listRunsRequestV1.shape.outcome.unwrap().options),
          failure_code: fc.constantFrom(...FAILURE_CODE_LIST),
          initiator: fc.constantFrom('alice', 'opsctl', 'x'.repeat(200), 'Ünïcödé 名前'),
          created_after: fc.constant(at(-3600)),
          created_before: fc.constant(at(3600)),
        },
        { requiredKeys: [] },
      );
      const filteredUnknownWs = fc
        .tuple(uuid4, filters)
        .map(([w, f]) => json('unknown_workspace_filtered_list', { workspace_id: w, ...f }, ['empty_ok']));
      return fc.oneof(
        { weight: 4, arbitrary: s },
        { weight: 1, arbitrary: garbageCursor },
        { weight: 1, arbitrary: unknownWs },
        { weight: 1, arbitrary: filteredUnknownWs },
        { weight: 2, arbitrary: damaged(base) },
      );
    }
    case 'list_active_runs': {
      const base = uuid4.map((w) => ({ workspace_id: w, quiet_since: at(0), limit: 10 }) as Record<string, unknown>);
      const s = structural(base, ['workspace_id', 'quiet_since'], {
        workspace_id: BAD_UUIDS,
        quiet_since: BAD_DATES,
        limit: BAD_LIMITS.filter((l) => l !== 501),
      });
      const unknownWs = uuid4.map((w) =>
        json('unknown_workspace_list', { workspace_id: w, quiet_since: new Date().toISOString() }, ['empty_ok']),
      );
      return fc.oneof({ weight: 4, arbitrary: s }, { weight: 1, arbitrary: unknownWs }, { weight: 2, arbitrary: damaged(base) });
    }
    case 'list_workspaces': {
      // an empty payload is the documented way to call it (api.ts): not hostile, not sent
      const extra = fc
        .tuple(fc.string({ minLength: 1, maxLength: 30 }), fc.jsonValue({ maxDepth: 2 }))
        .map(([k, v]) => ({ label: 'schema_extra_field', data: enc.encode(JSON.stringify({ [k]: v })), expect: ['bad_request'] }));
      return fc.oneof({ weight: 2, arbitrary: extra }, { weight: 3, arbitrary: bytes(fc.constant('{}'), false) });
    }
  }
}

function junkValueKey(): fc.Arbitrary<string> {
  return fc
    .oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.constantFrom('client_secret', 'token', '__proto__'))
    .filter((k) => k !== 'policy_ids');
}

export function housekeepingArb(): fc.Arbitrary<Hostile> {
  const base = uuid4.map((w) => ({ workspace_id: w }) as Record<string, unknown>);
  const s = mutated(base, ['workspace_id'], { workspace_id: BAD_UUIDS }).map((m) => ({
    label: `schema_${m.how}`,
    data: enc.encode(m.text),
    expect: ['bad_request'],
  }));
  const bytes = garbage(
    base.map((b) => JSON.stringify(b)),
    HOUSEKEEPING_MAX_REQUEST_BYTES,
    { oversized: 'bad_request', encoding: 'bad_request', json: 'bad_request', schema: 'bad_request', empty: 'bad_request' },
  );
  const unknownWs = uuid4.map((w) => json('unknown_workspace', { workspace_id: w }, ['not_found']));
  return fc.oneof({ weight: 3, arbitrary: s }, { weight: 3, arbitrary: bytes }, { weight: 2, arbitrary: unknownWs });
}
